package extract

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// limitedEnv marks this program started only to run another under limits.
const limitedEnv = "HOSO_LIMITED_EXEC"

// The program re-started by LimitedCommand sets its limits and becomes
// the tool at once, before anything else of hoso runs.
func init() {
	if os.Getenv(limitedEnv) != "1" || len(os.Args) < 2 {
		return
	}
	if m, err := strconv.ParseUint(os.Getenv("HOSO_LIMITED_MEMORY"), 10, 64); err == nil && m > 0 {
		_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: m, Max: m})
	}
	if c, err := strconv.ParseUint(os.Getenv("HOSO_LIMITED_CPU"), 10, 64); err == nil && c > 0 {
		_ = syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: c, Max: c + 1})
	}
	env := make([]string, 0, len(os.Environ()))
	for _, e := range os.Environ() {
		if len(e) < 13 || e[:13] != "HOSO_LIMITED_" {
			env = append(env, e)
		}
	}
	err := syscall.Exec(os.Args[1], os.Args[1:], env)
	os.Stderr.WriteString("hoso: cannot run " + os.Args[1] + ": " + err.Error() + "\n")
	os.Exit(127)
}

// LimitedCommand is exec.CommandContext for a tool (tool is its full
// path) that runs with at most memory bytes of address space and cpu
// seconds of processor time: this program starts again, sets the limits
// on itself and becomes the tool, so the limits hold for the tool alone.
func LimitedCommand(ctx context.Context, memory int64, cpu int, tool string, args ...string) *exec.Cmd {
	self, err := os.Executable()
	if err != nil {
		return exec.CommandContext(ctx, tool, args...)
	}
	cmd := exec.CommandContext(ctx, self, append([]string{tool}, args...)...)
	cmd.Env = append(os.Environ(), limitedEnv+"=1", "HOSO_LIMITED_MEMORY="+strconv.FormatInt(memory, 10), "HOSO_LIMITED_CPU="+strconv.Itoa(cpu))
	return cmd
}
