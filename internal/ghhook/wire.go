package ghhook

import "time"

// GitHub's webhook payloads, cut down to the fields booty reads. Local
// types rather than go-github's: go-github's EditChange has no
// new_issue/new_repository/old_issue for transfers, and its Issue and
// Repository decode a hundred fields booty throws away.

type wireEnvelope struct {
	Action       string            `json:"action"`
	Repository   *wireRepository   `json:"repository"`
	Sender       *wireUser         `json:"sender"`
	Installation *wireInstallation `json:"installation"`
}

type wireUser struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Type  string `json:"type"`
}

type wireRepository struct {
	FullName string `json:"full_name"`
}

type wireInstallation struct {
	ID int64 `json:"id"`
}

type wireLabel struct {
	Name string `json:"name"`
}

type wireIssue struct {
	Number      int         `json:"number"`
	Title       string      `json:"title"`
	Body        *string     `json:"body"`
	State       string      `json:"state"`
	StateReason *string     `json:"state_reason"`
	Labels      []wireLabel `json:"labels"`
	User        *wireUser   `json:"user"`
	ClosedAt    *time.Time  `json:"closed_at"`
	HTMLURL     string      `json:"html_url"`
}

type wireFrom struct {
	From *string `json:"from"`
}

type wireNumbered struct {
	Number int `json:"number"`
}

type wireIssueChanges struct {
	Body          *wireFrom       `json:"body"`
	NewIssue      *wireNumbered   `json:"new_issue"`
	NewRepository *wireRepository `json:"new_repository"`
	OldIssue      *wireNumbered   `json:"old_issue"`
	OldRepository *wireRepository `json:"old_repository"`
}

type wireIssuesEvent struct {
	wireEnvelope
	Issue   *wireIssue        `json:"issue"`
	Label   *wireLabel        `json:"label"`
	Changes *wireIssueChanges `json:"changes"`
}

type wireRef struct {
	Ref  string          `json:"ref"`
	SHA  string          `json:"sha"`
	Repo *wireRepository `json:"repo"`
}

type wirePullRequest struct {
	Number  int       `json:"number"`
	Title   string    `json:"title"`
	State   string    `json:"state"`
	Draft   bool      `json:"draft"`
	Merged  bool      `json:"merged"`
	HTMLURL string    `json:"html_url"`
	User    *wireUser `json:"user"`
	Head    *wireRef  `json:"head"`
	Base    *wireRef  `json:"base"`
}

type wirePullRequestEvent struct {
	wireEnvelope
	Number      int              `json:"number"`
	PullRequest *wirePullRequest `json:"pull_request"`
	Before      string           `json:"before"`
	After       string           `json:"after"`
}

type wireHook struct {
	Events []string `json:"events"`
}

type wirePingEvent struct {
	wireEnvelope
	Zen    string    `json:"zen"`
	HookID int64     `json:"hook_id"`
	Hook   *wireHook `json:"hook"`
}
