package plugin

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

func validDesc() *pluginpb.Description {
	return &pluginpb.Description{
		Summary: "ok",
		Commands: []*pluginpb.Command{{
			Name: "organization", Aliases: []string{"org"},
			Subcommands: []*pluginpb.Command{
				{Name: "list", Flags: []*pluginpb.Flag{{Name: "json",
					Type: pluginpb.FlagType_FLAG_TYPE_BOOL}}},
				{Name: "join", MinArgs: 2, MaxArgs: 2},
			},
		}},
	}
}

func TestValidateDescription(t *testing.T) {
	deep := &pluginpb.Command{Name: "a"}
	for c, i := deep, 0; i < manifest.MaxDepth; i++ {
		c.Subcommands = []*pluginpb.Command{{Name: "a"}}
		c = c.Subcommands[0]
	}
	many := make([]*pluginpb.Command, manifest.MaxCommands+1)
	for i := range many {
		many[i] = &pluginpb.Command{Name: "c" + strings.Repeat("x", i%30) + string(rune('a'+i%26))}
	}

	tests := []struct {
		name   string
		mutate func(d *pluginpb.Description)
	}{
		{"space_in_name", func(d *pluginpb.Description) { d.Commands[0].Name = "org x" }},
		{"upper_name", func(d *pluginpb.Description) { d.Commands[0].Name = "Org" }},
		{"empty_name", func(d *pluginpb.Description) { d.Commands[0].Subcommands[0].Name = "" }},
		{"dup_sibling", func(d *pluginpb.Description) { d.Commands[0].Subcommands[1].Name = "list" }},
		{"dup_alias", func(d *pluginpb.Description) { d.Commands[0].Aliases = []string{"organization"} }},
		{"reserved_help", func(d *pluginpb.Description) { d.Commands[0].Subcommands[1].Name = "help" }},
		{"no_commands", func(d *pluginpb.Description) { d.Commands = nil }},
		{"too_deep", func(d *pluginpb.Description) { d.Commands = []*pluginpb.Command{deep} }},
		{"too_many", func(d *pluginpb.Description) { d.Commands = many }},
		{"escape_in_usage", func(d *pluginpb.Description) { d.Commands[0].Usage = "x\x1b[2J" }},
		{"newline_in_usage", func(d *pluginpb.Description) { d.Commands[0].Usage = "a\nb" }},
		{"long_usage", func(d *pluginpb.Description) { d.Commands[0].Usage = strings.Repeat("u", 201) }},
		{"bad_bounds", func(d *pluginpb.Description) { d.Commands[0].Subcommands[1].MaxArgs = 1 }},
		{"negative_min", func(d *pluginpb.Description) { d.Commands[0].Subcommands[1].MinArgs = -1 }},
		{"flag_type_unset", func(d *pluginpb.Description) {
			d.Commands[0].Subcommands[0].Flags[0].Type = pluginpb.FlagType_FLAG_TYPE_UNSPECIFIED
		}},
		{"flag_bad_default", func(d *pluginpb.Description) {
			d.Commands[0].Subcommands[0].Flags[0].DefaultValue = "maybe"
		}},
		{"flag_dup", func(d *pluginpb.Description) {
			f := d.Commands[0].Subcommands[0].Flags
			d.Commands[0].Subcommands[0].Flags = append(f, &pluginpb.Flag{Name: "x",
				Aliases: []string{"json"}, Type: pluginpb.FlagType_FLAG_TYPE_STRING})
		}},
		{"flag_h", func(d *pluginpb.Description) {
			d.Commands[0].Subcommands[0].Flags[0].Aliases = []string{"h"}
		}},
	}
	if err := ValidateDescription(validDesc()); err != nil {
		t.Fatalf("valid description refused: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := validDesc()
			tt.mutate(d)
			if err := ValidateDescription(d); !errors.Is(err, ErrInvalidDescription) {
				t.Fatalf("ValidateDescription = %v, want ErrInvalidDescription", err)
			}
		})
	}
}

func TestDecodeDescriptionTooLarge(t *testing.T) {
	_, err := DecodeDescription(make([]byte, manifest.MaxDescriptionBytes+1))
	if !errors.Is(err, ErrInvalidDescription) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzDecodeDescription feeds arbitrary bytes, as a hostile plugin or manifest could.
// Whatever is accepted must build urfave commands without panicking.
func FuzzDecodeDescription(f *testing.F) {
	b, _ := proto.Marshal(validDesc())
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x12, 0x02, 0x0a, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDescription(b)
		if err != nil {
			return
		}
		m := manifest.New()
		m.Plugins["fuzz"] = &manifest.Entry{Description: d}
		cmds, _ := m.Commands(nil, nil)
		if len(cmds) != len(d.Commands) {
			t.Fatalf("%d commands built from %d", len(cmds), len(d.Commands))
		}
	})
}
