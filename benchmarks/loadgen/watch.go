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
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

const (
	watchSeatMap = "/apextick.inventory.v1.InventoryService/WatchSeatMap"
	seatHeld     = 2 // apextick.catalog.v1.SeatStatus SEAT_STATUS_HELD
	histogramMs  = 60_000
)

// wins: when each won seat's answer reached its caller (unix nanoseconds, 0: not won), by seat index,
// written by the hold callers.
type wins struct {
	index map[string]int
	at    []atomic.Int64
	count atomic.Int64
}

func newWins(seats []string) *wins {
	index := make(map[string]int, len(seats))
	for i, seat := range seats {
		index[seat] = i
	}
	return &wins{index: index, at: make([]atomic.Int64, len(seats))}
}

func (w *wins) record(seats []string) {
	now := time.Now().UnixNano()
	for _, seat := range seats {
		if i, ok := w.index[seat]; ok {
			w.at[i].Store(now)
		}
	}
	w.count.Add(int64(len(seats)))
}

// connTally is what the watchers of one connection share, touched only by its reader goroutine: one
// latency histogram (one bucket per millisecond), and the last message decoded. Every stream of an
// event receives the same bytes each tick (the server encodes a delta once), so a connection decodes
// each delta once, not once per watcher: the generator's own cost must stay small beside the server's.
type connTally struct {
	latencyMs []uint32
	last      []byte
	lastHeld  []int32
	lastSnap  bool
}

func newConnTally() *connTally { return &connTally{latencyMs: make([]uint32, histogramMs+1)} }

// decode: the seat indices a message shows HELD, and whether it is a snapshot.
func (t *connTally) decode(message []byte, rest bool, won *wins) ([]int32, bool) {
	if bytes.Equal(message, t.last) {
		return t.lastHeld, t.lastSnap
	}
	var held []string
	snapshot := false
	if rest {
		held, snapshot = heldInJSON(message)
	} else {
		held, snapshot = heldInProto(message)
	}
	t.last = append(t.last[:0], message...)
	t.lastHeld, t.lastSnap = t.lastHeld[:0], snapshot
	for _, seat := range held {
		if i, ok := won.index[seat]; ok {
			t.lastHeld = append(t.lastHeld, int32(i))
		}
	}
	return t.lastHeld, t.lastSnap
}

// watchStream is one watcher; only its connection's reader goroutine touches it, except the atomics.
type watchStream struct {
	rest        bool
	won         *wins
	tally       *connTally
	buf         []byte
	seen        []bool
	snapshotted atomic.Bool
	heldSeen    atomic.Int64
	messages    int
	bytes       int
}

func newWatchStream(rest bool, won *wins, tally *connTally) *watchStream {
	return &watchStream{rest: rest, won: won, tally: tally, seen: make([]bool, len(won.at))}
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
		} else {
			if len(w.buf) < 5 {
				break
			}
			size := int(binary.BigEndian.Uint32(w.buf[1:5]))
			if len(w.buf) < 5+size {
				break
			}
			message, w.buf = w.buf[5:5+size], w.buf[5+size:]
		}
		w.apply(message, now)
		w.messages++
	}
	if len(w.buf) == 0 {
		w.buf = nil // a drained buffer is not kept around for every idle watcher
	}
}

func (w *watchStream) apply(message []byte, now int64) {
	held, snapshot := w.tally.decode(message, w.rest, w.won)
	if snapshot {
		w.snapshotted.Store(true)
		return // what was HELD before the sale is not a delivery of this run's wins
	}
	for _, i := range held {
		if w.seen[i] {
			continue
		}
		w.seen[i] = true
		w.heldSeen.Add(1)
		latency := int64(0)
		if at := w.won.at[i].Load(); at != 0 {
			latency = max(0, now-at)
		}
		w.tally.latencyMs[min(histogramMs, latency/int64(time.Millisecond))]++
	}
}

// heldInProto reads WatchSeatMapResponse{snapshot=1, change=2, heartbeat=3, delta=4} by hand.
func heldInProto(message []byte) (held []string, snapshot bool) {
	forEachBytes(message, func(num protowire.Number, value []byte) {
		switch num {
		case 1:
			snapshot = true
		case 2:
			held = append(held, heldInChange(value)...)
		case 4:
			forEachBytes(value, func(num protowire.Number, change []byte) {
				if num == 1 {
					held = append(held, heldInChange(change)...)
				}
			})
		}
	})
	return held, snapshot
}

// heldInChange reads SeatChange{seat_ids=1, status=2}: its seats if their status is HELD.
func heldInChange(change []byte) []string {
	var seats []string
	status := 0
	for len(change) > 0 {
		num, typ, n := protowire.ConsumeTag(change)
		if n < 0 {
			return nil
		}
		change = change[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			seat, m := protowire.ConsumeString(change)
			if m < 0 {
				return nil
			}
			seats, change = append(seats, seat), change[m:]
		case num == 2 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(change)
			if m < 0 {
				return nil
			}
			status, change = int(v), change[m:]
		default:
			m := protowire.ConsumeFieldValue(num, typ, change)
			if m < 0 {
				return nil
			}
			change = change[m:]
		}
	}
	if status != seatHeld {
		return nil
	}
	return seats
}

// forEachBytes calls each for every length-delimited field of a message.
func forEachBytes(message []byte, each func(protowire.Number, []byte)) {
	for len(message) > 0 {
		num, typ, n := protowire.ConsumeTag(message)
		if n < 0 {
			return
		}
		message = message[n:]
		if typ == protowire.BytesType {
			value, m := protowire.ConsumeBytes(message)
			if m < 0 {
				return
			}
			each(num, value)
			message = message[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, message)
		if m < 0 {
			return
		}
		message = message[m:]
	}
}

type jsonChange struct {
	SeatIDs []string `json:"seatIds"`
	Status  string   `json:"status"`
}

// heldInJSON reads one line of the edge's newline-delimited JSON stream.
func heldInJSON(line []byte) (held []string, snapshot bool) {
	var update struct {
		Snapshot *json.RawMessage `json:"snapshot"`
		Change   *jsonChange      `json:"change"`
		Delta    *struct {
			Changes []jsonChange `json:"changes"`
		} `json:"delta"`
	}
	if json.Unmarshal(line, &update) != nil {
		return nil, false
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
			held = append(held, change.SeatIDs...)
		}
	}
	return held, update.Snapshot != nil
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
	tallies []*connTally
	ended   chan string
	conns   int
	opened  time.Duration
}

// openWatchers opens n streams over conns and waits until each has its snapshot (or the timeout).
func openWatchers(conns []*h2conn, event string, n int, rest bool, won *wins, timeout time.Duration) *watching {
	started := time.Now()
	w := &watching{ended: make(chan string, n), conns: len(conns)}
	for range conns {
		w.tallies = append(w.tallies, newConnTally())
	}
	path, method, body := watchSeatMap, "POST", protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), event)
	if rest {
		path, method, body = "/v1/"+event+"/seats:watch", "GET", nil
	}
	for i := range n {
		stream := newWatchStream(rest, won, w.tallies[i%len(conns)])
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
	for _, t := range w.tallies {
		for ms, count := range t.latencyMs {
			histogram[ms] += int64(count)
		}
	}
	for _, s := range w.streams {
		seen := s.heldSeen.Load()
		if seen >= r.SeatsWon {
			r.Complete++
		}
		r.Missing += max(0, r.SeatsWon-seen)
		for i, shown := range s.seen {
			if shown && won.at[i].Load() == 0 {
				r.Phantoms++
			}
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
