// Package dist holds the service files shipped with dbos-credd: systemd user units
// (systemd/) and a launchd agent (launchd/). The files in this directory are the
// only copy; `dbos-cloud daemon install` writes them out from this embedded tree,
// putting the installed dbos-credd path in place of the default one.
//
// It holds no logic: filling the templates in is the CLI's job.
package dist

import "embed"

// Files is the systemd/ and launchd/ trees.
//
//go:embed systemd/* launchd/*
var Files embed.FS

// Placeholders in the launchd template, replaced (XML-escaped) at install time.
const (
	LaunchdCredd = "@DBOS_CREDD@"
	LaunchdLog   = "@DBOS_CREDD_LOG@"
)
