// Package ghhook holds everything GitHub-specific about the webhooks booty
// receives: checking the X-Hub-Signature-256 of a delivery and parsing its
// body into domain values (Event, Issue, PullRequest, Ping). GitHub's wire
// types never leave this package.
//
// Both Verify and Parse are fed untrusted bytes, so every string they keep
// is bounded, their errors never quote the payload, and Parse is fuzzed.
package ghhook
