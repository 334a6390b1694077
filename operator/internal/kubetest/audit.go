package kubetest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Write is one update or patch of a workload or its scale subresource, as
// the API server's audit log records it.
type Write struct {
	// User is the authenticated user name, e.g.
	// system:serviceaccount:ns:name.
	User string
	// UserAgent is the client's User-Agent header.
	UserAgent string
	// Verb is "update" or "patch".
	Verb string
	// Resource and Subresource name what was written: "deployments" and
	// "scale", or "deployments" and "".
	Resource, Subresource string
	// Namespace and Name name the workload.
	Namespace, Name string
	// Code is the HTTP status of the answer: 200 for a write that took
	// effect, 409 for a Conflict.
	Code int
	// Time is when the API server finished the request.
	Time time.Time
}

func (e *Env) auditLog() string { return filepath.Join(e.Dir, "audit.log") }

// auditEvent is the part of an audit.k8s.io/v1 Event that Write keeps.
type auditEvent struct {
	Stage string `json:"stage"`
	Verb  string `json:"verb"`
	User  struct {
		Username string `json:"username"`
	} `json:"user"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	StageTimestamp time.Time `json:"stageTimestamp"`
}

// Writes returns, in log order, every completed update or patch of a
// Deployment, StatefulSet or ReplicaSet, or of its scale subresource, in
// namespace (all namespaces if empty).
func (e *Env) Writes(namespace string) ([]Write, error) {
	f, err := os.Open(e.auditLog())
	if err != nil {
		return nil, fmt.Errorf("kubetest: audit log: %w", err)
	}
	defer f.Close()
	var out []Write
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var ev auditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return nil, fmt.Errorf("kubetest: audit log: %w", err)
		}
		if ev.Stage != "ResponseComplete" || ev.ObjectRef == nil {
			continue
		}
		if namespace != "" && ev.ObjectRef.Namespace != namespace {
			continue
		}
		w := Write{
			User: ev.User.Username, UserAgent: ev.UserAgent, Verb: ev.Verb,
			Resource: ev.ObjectRef.Resource, Subresource: ev.ObjectRef.Subresource,
			Namespace: ev.ObjectRef.Namespace, Name: ev.ObjectRef.Name,
			Time: ev.StageTimestamp,
		}
		if ev.ResponseStatus != nil {
			w.Code = ev.ResponseStatus.Code
		}
		out = append(out, w)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("kubetest: audit log: %w", err)
	}
	return out, nil
}
