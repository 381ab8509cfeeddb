//go:build benchharness

package web

// The benchmark runner (app/internal/bench) builds the app with
// -tags benchharness, so that wrk's load from one address is not answered
// 429 after 60 requests. The limiter still runs (same code path, same
// cost); only its burst is out of reach. A binary built without the tag, as
// every deployed one is, cannot lift it: no setting does. The app logs this
// at error level when it starts.
const publicBurst = 1 << 40

const benchHarness = true
