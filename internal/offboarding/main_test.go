package offboarding_test

import (
	"os"
	"testing"

	"alumnet/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }
