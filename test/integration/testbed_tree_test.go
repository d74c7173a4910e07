package integration

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
)

// treeListing describes every entry under root by type, mode, owner, links,
// size, device, modification and change times, link target and content
// hash. Access times are left out: merely reading the tree updates them.
// ctime is in because no user-space call can set it back, so an entry
// created and removed again, or a file rewritten with its old bytes and
// mtime, still shows.
func treeListing(t *testing.T, root string) map[string]string {
	t.Helper()
	m := make(map[string]string)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st syscall.Stat_t
		if err := syscall.Lstat(p, &st); err != nil {
			return err
		}
		line := fmt.Sprintf("mode=%o uid=%d gid=%d nlink=%d size=%d rdev=%d mtime=%d.%09d ctime=%d.%09d",
			st.Mode, st.Uid, st.Gid, st.Nlink, st.Size, st.Rdev,
			st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFLNK:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			line += " -> " + target
		case syscall.S_IFREG:
			sum, err := contentHash(p)
			if err != nil {
				return err
			}
			line += " sha256=" + sum
		}
		rel, _ := filepath.Rel(root, p)
		m[rel] = line
		return nil
	})
	if err != nil {
		t.Fatalf("listing %s: %v", root, err)
	}
	return m
}

func contentHash(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkTreeUnchanged fails with every entry that differs between two listings.
func checkTreeUnchanged(t *testing.T, before, after map[string]string) {
	t.Helper()
	var diffs []string
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			diffs = append(diffs, "removed "+p)
		case a != b:
			diffs = append(diffs, fmt.Sprintf("changed %s\n  before %s\n  after  %s", p, b, a))
		}
	}
	for p := range after {
		if _, ok := before[p]; !ok {
			diffs = append(diffs, "added "+p)
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		if len(diffs) > 20 {
			diffs = append(diffs[:20], fmt.Sprintf("... and %d more", len(diffs)-20))
		}
		t.Errorf("the rootfs changed (%d entries before, %d after):", len(before), len(after))
		for _, d := range diffs {
			t.Log(d)
		}
	}
}

// checkNoTinit fails if the listing already holds anything named tinit: the
// recipes must work with a rootfs that does not contain it.
func checkNoTinit(t *testing.T, listing map[string]string) {
	t.Helper()
	for p := range listing {
		if filepath.Base(p) == "tinit" {
			t.Fatalf("the rootfs already contains %s", p)
		}
	}
}
