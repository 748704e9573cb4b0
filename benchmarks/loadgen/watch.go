package main

// Watchers: WatchSeatMap streams held open while the holds are fired, each reading the live seat map
// as a browser would. A seat's delivery latency is the time from the winning hold's answer reaching
// its caller to the watcher seeing the seat HELD (a watcher that sees it first counts 0). Every
// watcher must see every won seat: the run reports how many did.
//
// The streams of one connection are all read by its reader goroutine, so a watcher costs the
// generator a little memory and no goroutine: 10,000 of them fit beside the hold callers.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

const (
	watchSeatMap = "/apextick.inventory.v1.InventoryService/WatchSeatMap"
	seatHeld     = 2 // apextick.catalog.v1.SeatStatus SEAT_STATUS_HELD
	histogramMs  = 60_000
)

// wins: when each won seat's answer reached its caller (unix nanoseconds), written by the hold callers.
type wins struct {
	at    sync.Map
	count atomic.Int64
}

func (w *wins) record(seats []string) {
	now := time.Now().UnixNano()
	for _, seat := range seats {
		w.at.Store(seat, now)
	}
	w.count.Add(int64(len(seats)))
}

// watchStream is one watcher; only its connection's reader goroutine touches it, except the atomics.
type watchStream struct {
	rest        bool
	seatIndex   map[string]int
	won         *wins
	buf         []byte
	seen        []bool
	latencyMs   []uint32 // a histogram, one bucket per millisecond
	snapshotted atomic.Bool
	heldSeen    atomic.Int64
	phantoms    int // seats seen HELD that no hold of this run won (checked at the end)
	messages    int
	bytes       int
}

func newWatchStream(rest bool, seatIndex map[string]int, won *wins) *watchStream {
	return &watchStream{
		rest: rest, seatIndex: seatIndex, won: won,
		seen: make([]bool, len(seatIndex)), latencyMs: make([]uint32, histogramMs+1),
	}
}

// feed takes a DATA frame's bytes and applies every whole message in them.
func (w *watchStream) feed(data []byte) {
	w.bytes += len(data)
	w.buf = append(w.buf, data...)
	now := time.Now().UnixNano()
	for {
		var message []byte
		if w.rest {
			end := bytes.IndexByte(w.buf, '\n')
			if end < 0 {
				break
			}
			message, w.buf = w.buf[:end], w.buf[end+1:]
			w.applyJSON(message, now)
		} else {
			if len(w.buf) < 5 {
				break
			}
			size := int(binary.BigEndian.Uint32(w.buf[1:5]))
			if len(w.buf) < 5+size {
				break
			}
			message, w.buf = w.buf[5:5+size], w.buf[5+size:]
			w.applyProto(message, now)
		}
		w.messages++
	}
	if len(w.buf) == 0 {
		w.buf = nil // a drained buffer is not kept around for every idle watcher
	}
}

func (w *watchStream) held(seat string, now int64) {
	i, ok := w.seatIndex[seat]
	if !ok || w.seen[i] {
		return
	}
	w.seen[i] = true
	w.heldSeen.Add(1)
	latency := int64(0)
	if at, ok := w.won.at.Load(seat); ok {
		latency = max(0, now-at.(int64))
	}
	w.latencyMs[min(histogramMs, latency/int64(time.Millisecond))]++
}

// applyProto reads WatchSeatMapResponse{snapshot=1, change=2, heartbeat=3, delta=4} by hand.
func (w *watchStream) applyProto(message []byte, now int64) {
	for len(message) > 0 {
		num, typ, n := protowire.ConsumeTag(message)
		if n < 0 {
			return
		}
		message = message[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, message)
			message = message[max(n, 0):]
			continue
		}
		value, n := protowire.ConsumeBytes(message)
		if n < 0 {
			return
		}
		message = message[n:]
		switch num {
		case 1:
			w.snapshotted.Store(true)
		case 2:
			w.applyChange(value, now)
		case 4:
			forEachBytes(value, 1, func(change []byte) { w.applyChange(change, now) })
		}
	}
}

// applyChange reads SeatChange{seat_ids=1, status=2}.
func (w *watchStream) applyChange(change []byte, now int64) {
	var seats []string
	status := 0
	for len(change) > 0 {
		num, typ, n := protowire.ConsumeTag(change)
		if n < 0 {
			return
		}
		change = change[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			seat, m := protowire.ConsumeString(change)
			if m < 0 {
				return
			}
			seats, change = append(seats, seat), change[m:]
		case num == 2 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(change)
			if m < 0 {
				return
			}
			status, change = int(v), change[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, change)
			change = change[max(m, 0):]
		}
	}
	if status == seatHeld {
		for _, seat := range seats {
			w.held(seat, now)
		}
	}
}

func forEachBytes(message []byte, field protowire.Number, each func([]byte)) {
	for len(message) > 0 {
		num, typ, n := protowire.ConsumeTag(message)
		if n < 0 {
			return
		}
		message = message[n:]
		if num == field && typ == protowire.BytesType {
			value, m := protowire.ConsumeBytes(message)
			if m < 0 {
				return
			}
			each(value)
			message = message[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, message)
		message = message[max(m, 0):]
	}
}

type jsonChange struct {
	SeatIDs []string `json:"seatIds"`
	Status  string   `json:"status"`
}

// applyJSON reads one line of the edge's newline-delimited JSON stream.
func (w *watchStream) applyJSON(line []byte, now int64) {
	var update struct {
		Snapshot *json.RawMessage `json:"snapshot"`
		Change   *jsonChange      `json:"change"`
		Delta    *struct {
			Changes []jsonChange `json:"changes"`
		} `json:"delta"`
	}
	if json.Unmarshal(line, &update) != nil {
		return
	}
	if update.Snapshot != nil {
		w.snapshotted.Store(true)
	}
	var changes []jsonChange
	if update.Change != nil {
		changes = append(changes, *update.Change)
	}
	if update.Delta != nil {
		changes = append(changes, update.Delta.Changes...)
	}
	for _, change := range changes {
		if change.Status == "SEAT_STATUS_HELD" {
			for _, seat := range change.SeatIDs {
				w.held(seat, now)
			}
		}
	}
}

type watchResult struct {
	Watchers    int            `json:"watchers"`
	Connections int            `json:"connections"`
	Snapshots   int            `json:"snapshots"`
	ConnectSecs float64        `json:"connect_seconds"`
	SeatsWon    int64          `json:"seats_won"`
	Complete    int            `json:"complete"`
	Missing     int64          `json:"missing_views"`
	Phantoms    int            `json:"phantom_views"`
	Deliveries  int64          `json:"deliveries"`
	P50         float64        `json:"delivery_p50_ms"`
	P95         float64        `json:"delivery_p95_ms"`
	P99         float64        `json:"delivery_p99_ms"`
	Max         float64        `json:"delivery_max_ms"`
	Messages    int            `json:"messages"`
	Bytes       int            `json:"bytes"`
	Ended       map[string]int `json:"ended"`
	SettleSecs  float64        `json:"settle_seconds"`
}

type watching struct {
	streams []*watchStream
	ended   chan string
	conns   int
	opened  time.Duration
}

// openWatchers opens n streams over conns and waits until each has its snapshot (or the timeout).
func openWatchers(conns []*h2conn, event string, n int, rest bool, seatIndex map[string]int, won *wins,
	timeout time.Duration) *watching {
	started := time.Now()
	w := &watching{ended: make(chan string, n), conns: len(conns)}
	path, method, body := watchSeatMap, "POST", protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), event)
	if rest {
		path, method, body = "/v1/"+event+"/seats:watch", "GET", nil
	}
	for i := range n {
		stream := newWatchStream(rest, seatIndex, won)
		w.streams = append(w.streams, stream)
		conns[i%len(conns)].queue <- &call{path: path, method: method, body: body, stream: stream, done: w.ended}
	}
	for time.Since(started) < timeout && w.snapshots() < n && len(w.ended) == 0 {
		time.Sleep(50 * time.Millisecond)
	}
	w.opened = time.Since(started)
	return w
}

func (w *watching) snapshots() int {
	done := 0
	for _, s := range w.streams {
		if s.snapshotted.Load() {
			done++
		}
	}
	return done
}

// settle waits until every watcher saw every won seat, or the timeout.
func (w *watching) settle(won *wins, timeout time.Duration) time.Duration {
	started := time.Now()
	for time.Since(started) < timeout {
		behind := false
		for _, s := range w.streams {
			if s.heldSeen.Load() < won.count.Load() {
				behind = true
				break
			}
		}
		if !behind {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(started)
}

// result closes the books; call it once the connections' readers are idle (after settle).
func (w *watching) result(conns []*h2conn, won *wins, settled time.Duration) watchResult {
	r := watchResult{Watchers: len(w.streams), Connections: w.conns, Snapshots: w.snapshots(),
		ConnectSecs: w.opened.Seconds(), SeatsWon: won.count.Load(), Ended: map[string]int{},
		SettleSecs: settled.Seconds()}
	for _, c := range conns {
		c.mu.Lock() // the reader writes the streams under no lock of ours: take a consistent look
	}
	histogram := make([]int64, histogramMs+1)
	for _, s := range w.streams {
		seen := s.heldSeen.Load()
		if seen >= r.SeatsWon {
			r.Complete++
		}
		r.Missing += max(0, r.SeatsWon-seen)
		for seat, i := range s.seatIndex {
			if s.seen[i] {
				if _, ok := won.at.Load(seat); !ok {
					r.Phantoms++
				}
			}
		}
		for ms, count := range s.latencyMs {
			histogram[ms] += int64(count)
		}
		r.Messages += s.messages
		r.Bytes += s.bytes
	}
	for _, c := range conns {
		c.mu.Unlock()
	}
	for len(w.ended) > 0 {
		r.Ended[<-w.ended]++
	}
	r.Deliveries, r.P50, r.P95, r.P99, r.Max = histogramPercentiles(histogram)
	return r
}

func histogramPercentiles(histogram []int64) (total int64, p50, p95, p99, top float64) {
	for _, count := range histogram {
		total += count
	}
	quantiles := []float64{0.5, 0.95, 0.99}
	found := make([]float64, len(quantiles))
	reached := make([]bool, len(quantiles))
	running := int64(0)
	for ms, count := range histogram {
		if count == 0 {
			continue
		}
		running += count
		for i, q := range quantiles {
			if !reached[i] && float64(running) >= q*float64(total) {
				found[i], reached[i] = float64(ms), true
			}
		}
		top = float64(ms)
	}
	return total, found[0], found[1], found[2], top
}
