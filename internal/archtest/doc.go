// Package archtest holds meta-tests of the code base itself: every package has
// a doc comment, and the import boundaries of the architecture hold (the wire
// layers use only the standard library, the service never reaches the
// driver, the driver knows no engine, the engine runs no processes).
package archtest
