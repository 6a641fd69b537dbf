package webhook_test

import (
	"fmt"
	"time"

	"github.com/ordo/ordo/internal/webhook"
)

func ExampleSign() {
	// The Standard Webhooks reference example. During a rotation, pass the
	// new and the old secret; the header then holds two signatures.
	sig, err := webhook.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0),
		[]byte(`{"test": 2432232314}`), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	fmt.Println(sig)
	// Output: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
}

func ExampleNextDelay() {
	noJitter := func() float64 { return 0.5 }
	for attempt := 1; ; attempt++ {
		d, ok := webhook.NextDelay(webhook.DefaultSchedule, attempt, 0, noJitter)
		if !ok {
			fmt.Printf("attempt %d failed: give up\n", attempt)
			break
		}
		fmt.Printf("attempt %d failed: retry in %v\n", attempt, d)
	}
	// Output:
	// attempt 1 failed: retry in 5s
	// attempt 2 failed: retry in 5m0s
	// attempt 3 failed: retry in 30m0s
	// attempt 4 failed: retry in 2h0m0s
	// attempt 5 failed: retry in 5h0m0s
	// attempt 6 failed: retry in 10h0m0s
	// attempt 7 failed: retry in 10h0m0s
	// attempt 8 failed: give up
}
