package report

// `tinit ps --json`, one type per kind of object in it.
type (
	// Ps is the wire form of `tinit ps --json`, field by field in the
	// docs/ps.md's order. A pointer is a field that can be null; a slice is never
	// nil, so an empty list is [] and not null.
	Ps struct {
		Tinit     PsProc     `json:"tinit"`
		Streams   []PsStream `json:"streams"`
		Pause     bool       `json:"pause"`
		MainChild *PsMain    `json:"main_child"`
		Processes []PsRow    `json:"processes"`
		Summary   string     `json:"summary"`
	}

	// PsMain is the main child: exited or not, and while it runs its pid and
	// age.
	PsMain struct {
		Exited bool   `json:"exited"`
		PID    *int   `json:"pid"`
		AgeMs  *int64 `json:"age_ms"`
	}

	// PsProc is the fields tinit's own object shares with every process.
	PsProc struct {
		PID     int      `json:"pid"`
		State   string   `json:"state"`
		AgeMs   int64    `json:"age_ms"`
		Comm    string   `json:"comm"`
		Cmdline []string `json:"cmdline"`
	}

	// PsRow is one process below tinit; render.MarshalLine writes the
	// embedded structs' fields in place, as encoding/json does.
	PsRow struct {
		PsProc
		PPID      int  `json:"ppid"`
		Depth     int  `json:"depth"`
		MainChild bool `json:"main_child"`
		Orphan    bool `json:"orphan"`
		Holding
	}

	// PsStream is one of tinit's output pipes and who holds it.
	PsStream struct {
		Name    string `json:"name"`
		Fd      int    `json:"fd"`
		Inode   uint64 `json:"inode"`
		Holders []int  `json:"holders"`
	}
)
