package taskqueue

// SetAfterStore makes w call f after it has stored a job's result and
// before it acks the job: the tests crash a worker there.
func SetAfterStore(w *Worker, f func(Job)) { w.afterStore = f }
