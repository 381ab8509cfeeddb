package main

import (
	"log/slog"
	"strings"

	"github.com/accessrequests/accessrequests/app/sources"
)

// logUnconfiguredSources tells the operator, in one line at start, which
// sources cannot be offered for lack of credentials and which variables
// would enable them. Admins never see those names: the generate dialog
// lists only the sources that can be chosen.
func logUnconfiguredSources(log *slog.Logger, c *sources.Catalog) {
	off := c.Unconfigured()
	if len(off) == 0 {
		return
	}
	keys := make([]string, 0, len(off))
	vars := make([]string, 0, 2*len(off))
	for _, s := range off {
		id, secret := s.CredentialVars()
		keys = append(keys, s.Key)
		vars = append(vars, id, secret)
	}
	log.Info("sources without credentials are not offered; set their variables to enable them",
		"sources", strings.Join(keys, ", "), "set", strings.Join(vars, " "))
}
