//go:build race

package reliability

// raceEnabled makes TestMain build the server with -race too, so that data
// races in the server fail these tests (see server.checkLog).
const raceEnabled = true
