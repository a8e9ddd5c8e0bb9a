package timeline_test

import (
	"os"
	"time"

	"github.com/concurrency-workbook/workbook/internal/timeline"
)

// ExampleRender draws three downloads, two at a time: the third starts
// when the first is done. (A Recorder measures real spans; these are
// written out so that the output is fixed.)
func ExampleRender() {
	s := time.Second
	spans := []timeline.Span{
		{Row: "download 1", Label: "a.txt", Start: 0, End: s},
		{Row: "download 2", Label: "b.txt", Start: 0, End: 2 * s},
		{Row: "download 3", Label: "c.txt", Start: s, End: 3 * s / 2},
	}
	err := timeline.Render(os.Stdout, spans, timeline.Options{Width: 50, ASCII: true})
	if err != nil {
		panic(err)
	}
	// Output:
	// download 1 |###################                  |
	// download 2 |#####################################|
	// download 3 |                   #########         |
	//            +---------+---------+--------+--------+
	//            0s        500ms     1s       1.5s    2s
	//
	// row         label  start  took
	// download 1  a.txt  0s     1s
	// download 2  b.txt  0s     2s
	// download 3  c.txt  1s     500ms
	//
	// wall 2s (first start to last end), work 3.5s (3 spans)
	// work/wall 1.75x: the speedup over one at a time; at most 2 at once (first at 0s)
}
