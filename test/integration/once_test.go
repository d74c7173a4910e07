package integration

import "sync"

var (
	nsOnce sync.Once
	nsErr  error
)
