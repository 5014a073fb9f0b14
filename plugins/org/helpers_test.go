package main

import "github.com/dbos-go/dbos-cloud/pkg/cloud"

func apiErr(id, msg string) error { return &cloud.APIError{Status: 403, Message: msg, RequestID: id} }
