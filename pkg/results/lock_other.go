//go:build !unix

package results

import (
	"errors"
	"io/fs"
	"os"
)

// tryLock creates lp exclusively; held reports that it exists. Without
// flock a writer killed while holding the lock leaves lp behind: remove it
// by hand (the error names it).
func tryLock(lp string) (unlock func(), held bool, err error) {
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	f.Close()
	return func() { os.Remove(lp) }, false, nil
}
