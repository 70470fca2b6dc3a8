// Package web embeds the static files (CSS, htmx, images) and serves them
// under cache-busted URLs.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static
var files embed.FS

// Assets serves the embedded static files. URLs carry a hash of the file's
// content, so browsers may cache them for a year and still get a changed
// file at once.
type Assets struct {
	fsys   fs.FS
	hashes map[string]string
}

// NewAssets hashes every embedded file.
func NewAssets() (*Assets, error) {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	a := &Assets{fsys: sub, hashes: map[string]string{}}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.hashes[p] = hex.EncodeToString(sum[:])[:10]
		return nil
	})
	return a, err
}

// URL returns the cache-busted URL of a static file, e.g. /static/app.css?v=1a2b3c.
func (a *Assets) URL(name string) string {
	return "/static/" + name + "?v=" + a.hashes[name]
}

// Handler serves the files under /static/.
func (a *Assets) Handler() http.Handler {
	fileServer := http.StripPrefix("/static/", http.FileServerFS(a.fsys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean(r.URL.Path), "/static/")
		h, ok := a.hashes[name]
		if !ok {
			// Not a file: no directory listings, no index pages.
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == h {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		fileServer.ServeHTTP(w, r)
	})
}
