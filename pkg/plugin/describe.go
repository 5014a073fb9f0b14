package plugin

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
	pluginpb "github.com/dbos-go/dbos-cloud/pkg/plugin/proto"
)

// ErrInvalidDescription is returned when a plugin's description breaks the rules of
// package manifest.
var ErrInvalidDescription = manifest.ErrInvalid

// DecodeDescription parses a description in protobuf wire form and validates it.
func DecodeDescription(b []byte) (*manifest.Description, error) {
	if len(b) > manifest.MaxDescriptionBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidDescription,
			len(b), manifest.MaxDescriptionBytes)
	}
	d := &pluginpb.Description{}
	if err := proto.Unmarshal(b, d); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDescription, err)
	}
	md := fromProto(d)
	if err := md.Validate(); err != nil {
		return nil, err
	}
	return md, nil
}

// ValidateDescription checks a description in its wire types against the rules.
func ValidateDescription(d *pluginpb.Description) error { return fromProto(d).Validate() }

// fromProto converts the wire form to package manifest's, which the host caches and
// builds commands from. It does not validate.
func fromProto(d *pluginpb.Description) *manifest.Description {
	return &manifest.Description{Summary: d.GetSummary(), Commands: commandsFromProto(d.GetCommands())}
}

func commandsFromProto(cs []*pluginpb.Command) []*manifest.Command {
	if len(cs) == 0 {
		return nil
	}
	out := make([]*manifest.Command, 0, len(cs))
	for _, c := range cs {
		mc := &manifest.Command{
			Name: c.GetName(), Aliases: c.GetAliases(), Usage: c.GetUsage(),
			Description: c.GetDescription(), ArgsUsage: c.GetArgsUsage(),
			MinArgs: int(c.GetMinArgs()), MaxArgs: int(c.GetMaxArgs()),
			Subcommands: commandsFromProto(c.GetSubcommands()),
		}
		for _, f := range c.GetFlags() {
			mc.Flags = append(mc.Flags, &manifest.Flag{
				Name: f.GetName(), Aliases: f.GetAliases(), Usage: f.GetUsage(),
				Type: flagTypeFromProto(f.GetType()), Default: f.GetDefaultValue(),
				Required: f.GetRequired(),
			})
		}
		out = append(out, mc)
	}
	return out
}

// flagTypeFromProto maps the wire enum; an unset or unknown type becomes a name that
// Validate refuses.
func flagTypeFromProto(t pluginpb.FlagType) manifest.FlagType {
	switch t {
	case pluginpb.FlagType_FLAG_TYPE_STRING:
		return manifest.FlagString
	case pluginpb.FlagType_FLAG_TYPE_BOOL:
		return manifest.FlagBool
	case pluginpb.FlagType_FLAG_TYPE_INT:
		return manifest.FlagInt
	case pluginpb.FlagType_FLAG_TYPE_DURATION:
		return manifest.FlagDuration
	}
	return manifest.FlagType("type-" + strconv.Itoa(int(t)))
}
