package kubetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// stopGrace is how long a server has to exit after SIGTERM before SIGKILL.
const stopGrace = 5 * time.Second

// Process is a program started by [Exec]: a server of the environment or
// a program under test.
type Process struct {
	// Name is the program's base name.
	Name string
	// LogFile holds what the program wrote to stdout and stderr.
	LogFile string

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, set before done closes
}

// run starts bin/name with args, output to Dir/name.log.
func (e *Env) run(bin, name string, args ...string) (*Process, error) {
	p, err := Exec(filepath.Join(bin, name), filepath.Join(e.Dir, name+".log"), nil, args...)
	if err != nil {
		return nil, err
	}
	e.procs = append(e.procs, p)
	return p, nil
}

// Exec starts path with args and env added to the test's environment, its
// output appended to logFile. The caller stops it with [Process.Stop] or
// [Process.Kill].
func Exec(path, logFile string, env []string, args ...string) (*Process, error) {
	lf, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("kubetest: start %s: %w", path, err)
	}
	p := &Process{Name: filepath.Base(path), LogFile: logFile, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Signal sends sig to the process unless it has exited.
func (p *Process) Signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

// Stop sends SIGTERM, then SIGKILL if the process has not exited after
// five seconds, and waits for the exit.
func (p *Process) Stop() {
	p.Signal(syscall.SIGTERM)
	t := time.NewTimer(stopGrace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		p.Kill()
	}
}

// Kill sends SIGKILL and waits for the exit.
func (p *Process) Kill() {
	p.Signal(syscall.SIGKILL)
	<-p.done
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Tail returns the last n lines of the process's log.
func (p *Process) Tail(n int) string { return tail(p.LogFile, n) }

// ExitReport says how the process ended, or "running".
func (p *Process) ExitReport() string {
	select {
	case <-p.done:
		if p.err == nil {
			return "exited with status 0"
		}
		return p.err.Error()
	default:
		return "running"
	}
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	b = bytes.TrimRight(b, "\n")
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			n--
			if n == 0 {
				return string(b[i+1:])
			}
		}
	}
	return string(b)
}
