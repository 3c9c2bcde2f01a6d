//go:build unix

package results

import (
	"errors"
	"syscall"
)

// tryLock takes an flock(2) exclusive lock on lp without blocking; held
// reports that another process (or open file) holds it. The kernel drops
// the lock when the holder exits, even after kill -9: no stale lock.
func tryLock(lp string) (unlock func(), held bool, err error) {
	f, err := openLock(lp)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, false, nil
}
