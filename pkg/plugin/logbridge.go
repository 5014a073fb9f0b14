package plugin

import (
	"bytes"
	"context"
	"log/slog"

	"github.com/hashicorp/go-hclog"

	"github.com/dbos-go/dbos-cloud/pkg/plugin/manifest"
)

// hclogger returns the logger go-plugin uses for one plugin. go-plugin re-logs the
// plugin's JSON stderr lines through it; they reach the host's slog logger at debug
// level only, whatever level the plugin chose: a plugin must not be able to make the
// CLI noisy.
func hclogger(log *slog.Logger, name string) hclog.Logger {
	if log == nil || !log.Enabled(context.Background(), slog.LevelDebug) {
		return hclog.NewNullLogger()
	}
	return hclog.New(&hclog.LoggerOptions{
		Name:        "plugin." + name,
		Output:      &slogWriter{log: log.With("plugin", name)},
		Level:       hclog.Debug,
		DisableTime: true,
	})
}

type slogWriter struct{ log *slog.Logger }

func (w *slogWriter) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(p, "\n"), []byte("\n")) {
		w.log.Debug("plugin log", "line", manifest.OneLine(string(line)))
	}
	return len(p), nil
}
