package ps

import "golang.org/x/sys/unix"

// ticksPerSecond is the kernel's USER_HZ, the unit of /proc/PID/stat's
// start time. It is 100 on every Linux architecture; only sysconf(3) could
// ask, and tinit has no C library.
const ticksPerSecond = 100

// uptimeTicks is the time since boot in clock ticks, on CLOCK_BOOTTIME:
// the clock the start times in /proc/PID/stat count on, suspend included.
func uptimeTicks() (uint64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, err
	}
	return uint64(ts.Sec)*ticksPerSecond + uint64(ts.Nsec)/(1e9/ticksPerSecond), nil
}
