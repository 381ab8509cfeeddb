// Command specgen writes the API's OpenAPI documents, as the code declares
// them, for the generated client (app/api/client): openapi.json (3.1, as
// served) and openapi-3.0.json (huma's downgrade, which oapi-codegen reads).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/accessrequests/accessrequests/app/api"
)

func main() {
	dir := flag.String("dir", ".", "directory to write openapi.json and openapi-3.0.json into")
	flag.Parse()
	v31, v30 := api.Specs()
	for name, b := range map[string][]byte{"openapi.json": v31, "openapi-3.0.json": v30} {
		if err := os.WriteFile(filepath.Join(*dir, name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
