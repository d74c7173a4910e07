// Package report owns the JSON tinit writes about a run and its processes:
// the --report object (Run) and the file it is written to, whole or not at
// all (Write), and the wire form of `tinit ps --json` (Ps). A process's
// holding of the pipes has one struct (Holding) that both embed, so the
// report of a leaked process and ps's row for the same process cannot
// drift apart. docs/output.md and docs/ps.md document the two schemas.
package report
