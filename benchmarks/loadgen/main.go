// Command loadgen is the flash-sale load generator: one process carries every simulated customer, so
// the generator costs little of the two shared cores (one ghz process per customer group did not).
//
// Each request is a HoldSeats call for one random seat of the event, with a fresh request id and the
// bearer token of the next customer in turn; calls are spread over many HTTP/2 connections. A warm-up
// phase (against its own event, so the measured event's seats are untouched) is excluded from the
// figures. Every answer is counted by gRPC status and google.rpc.ErrorInfo reason (h2call.go). The generator's own
// CPU time is reported so the harness can tell whether it, not the server, set the pace.
//
//	loadgen -target 127.0.0.1:50051 -event events/ID -seats seats.txt -tokens tokens.txt -n 5000 -c 200
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

const (
	holdSeats = "/apextick.inventory.v1.InventoryService/HoldSeats"
	joinQueue = "/apextick.waitingroom.v1.WaitingRoomService/JoinQueue"
)

type config struct {
	target, event, warmupEvent, seatsFile, tokensFile string
	call, passesFile                                  string
	warmupSeatsFile                                   string
	attempts, concurrency, connections, warmup        int
	seatsPerHold                                      int
	rest                                              bool
	watchers, watchConnections                        int
	watchTarget                                       string
	watchRest                                         bool
	watchTimeout, settle, watchIdle                   time.Duration
}

type result struct {
	Attempts    int            `json:"attempts"`
	Seconds     float64        `json:"seconds"`
	RPS         float64        `json:"rps"`
	P50         float64        `json:"p50_ms"`
	P95         float64        `json:"p95_ms"`
	P99         float64        `json:"p99_ms"`
	Max         float64        `json:"max_ms"`
	Outcomes    map[string]int `json:"outcomes"`
	CPUSeconds  float64        `json:"generator_cpu_seconds"`
	Connections int            `json:"connections"`
	Concurrency int            `json:"concurrency"`
	Watch       *watchResult   `json:"watch,omitempty"`
}

func lines(path string) []string {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		fail(err)
	}
	defer f.Close()
	var out []string
	scan := bufio.NewScanner(f)
	scan.Buffer(make([]byte, 64*1024), 1<<20)
	for scan.Scan() {
		if line := strings.TrimSpace(scan.Text()); line != "" {
			out = append(out, line)
		}
	}
	return out
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "loadgen:", err)
	os.Exit(2)
}

func uuid4() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// restRequest is the JSON body of POST /v1/{event}/holds.
func restRequest(seats []string) []byte {
	body, _ := json.Marshal(map[string]any{"seatIds": seats, "requestId": uuid4()})
	return body
}

// request encodes HoldSeatsRequest{event=1, seat_ids=2, request_id=3, queue_pass=4} by hand.
func request(event string, seats []string, queuePass string) []byte {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendString(b, event)
	for _, seat := range seats {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, seat)
	}
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, uuid4())
	if queuePass != "" {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, queuePass)
	}
	return b
}

// joinRequest encodes JoinQueueRequest{event=1, request_id=2}: a place in the event's waiting room.
func joinRequest(event string) []byte {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	b = protowire.AppendString(b, event)
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendString(b, uuid4())
}

// callPath is the method (or REST route) every attempt calls.
func callPath(cfg config, event string) string {
	switch {
	case cfg.call == "join":
		return joinQueue
	case cfg.rest:
		return "/v1/" + event + "/holds"
	}
	return holdSeats
}

type tally struct {
	latencies []time.Duration
	outcomes  map[string]int
}

// fire makes n attempts; attempt i carries the i-th token and the i-th pass (in turn when fewer).
func fire(cfg config, conns []*h2conn, event string, n int, seats, tokens, passes []string, won *wins) ([]tally, time.Duration) {
	var next atomic.Int64
	path := callPath(cfg, event)
	tallies := make([]tally, cfg.concurrency)
	var wg sync.WaitGroup
	started := time.Now()
	for w := range cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			t := tally{outcomes: map[string]int{}}
			conn := conns[w%len(conns)]
			pick := make([]string, cfg.seatsPerHold)
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					break
				}
				for k := range pick {
					if len(seats) > 0 { // a join names no seat
						pick[k] = seats[rng.IntN(len(seats))]
					}
				}
				token := ""
				if len(tokens) > 0 {
					token = tokens[i%len(tokens)]
				}
				queuePass := ""
				if len(passes) > 0 {
					queuePass = passes[i%len(passes)]
				}
				var body []byte
				switch {
				case cfg.call == "join":
					body = joinRequest(event)
				case cfg.rest:
					body = restRequest(pick)
				default:
					body = request(event, pick, queuePass)
				}
				began := time.Now()
				outcome := conn.invoke(path, token, body)
				if won != nil && outcome == "OK" {
					won.record(pick)
				}
				t.latencies = append(t.latencies, time.Since(began))
				t.outcomes[outcome]++
			}
			tallies[w] = t
		}()
	}
	wg.Wait()
	return tallies, time.Since(started)
}

func cpuSeconds() float64 {
	var usage syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &usage)
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}

func percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, int(q*float64(len(sorted))))
	return float64(sorted[i].Microseconds()) / 1000
}

func summarize(cfg config, tallies []tally, took time.Duration, cpu float64) result {
	var all []time.Duration
	outcomes := map[string]int{}
	for _, t := range tallies {
		all = append(all, t.latencies...)
		for k, v := range t.outcomes {
			outcomes[k] += v
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	r := result{
		Attempts: len(all), Seconds: took.Seconds(), Outcomes: outcomes, CPUSeconds: cpu,
		Connections: cfg.connections, Concurrency: cfg.concurrency,
	}
	if took > 0 {
		r.RPS = float64(len(all)) / took.Seconds()
	}
	r.P50, r.P95, r.P99 = percentile(all, 0.5), percentile(all, 0.95), percentile(all, 0.99)
	if len(all) > 0 {
		r.Max = float64(all[len(all)-1].Microseconds()) / 1000
	}
	return r
}

func dialWatchers(cfg config) []*h2conn {
	target := cfg.watchTarget
	if target == "" {
		target = cfg.target
	}
	n := cfg.watchConnections
	if n <= 0 {
		n = max(1, cfg.watchers/16)
	}
	proto := protocol{contentType: "application/grpc"}
	if cfg.watchRest {
		proto = protocol{contentType: "application/json", rest: true}
	}
	conns := make([]*h2conn, n)
	for i := range conns {
		conn, err := dial(target, proto)
		if err != nil {
			fail(err)
		}
		conns[i] = conn
	}
	return conns
}

func main() {
	var cfg config
	flag.StringVar(&cfg.target, "target", "127.0.0.1:50051", "host:port of the InventoryService")
	flag.StringVar(&cfg.event, "event", "", "the event whose seats are claimed (events/ID)")
	flag.StringVar(&cfg.warmupEvent, "warmup-event", "", "the event the warm-up claims (default: -event)")
	flag.StringVar(&cfg.seatsFile, "seats", "", "file with one seat id per line")
	flag.StringVar(&cfg.warmupSeatsFile, "warmup-seats", "", "the warm-up event's seats (default: -seats)")
	flag.StringVar(&cfg.tokensFile, "tokens", "", "file with one bearer token per line, used in turn")
	flag.StringVar(&cfg.passesFile, "passes", "", "file with one queue pass per line, the i-th for the i-th token's holds")
	flag.StringVar(&cfg.call, "call", "hold", "hold (HoldSeats, or the REST hold with -rest) or join (JoinQueue, gRPC)")
	flag.IntVar(&cfg.attempts, "n", 5000, "measured attempts")
	flag.IntVar(&cfg.concurrency, "c", 200, "concurrent callers")
	flag.IntVar(&cfg.connections, "connections", 20, "HTTP/2 connections the callers share")
	flag.IntVar(&cfg.warmup, "warmup", 0, "warm-up attempts before the measured ones (not counted)")
	flag.IntVar(&cfg.seatsPerHold, "seats-per-hold", 1, "seats per attempt")
	flag.BoolVar(&cfg.rest, "rest", false, "call the REST edge (POST /v1/{event}/holds, JSON) instead of gRPC")
	flag.IntVar(&cfg.watchers, "watchers", 0, "WatchSeatMap streams on -event held open during the holds (watch.go)")
	flag.StringVar(&cfg.watchTarget, "watch-target", "", "host:port the watchers call (default: -target)")
	flag.IntVar(&cfg.watchConnections, "watch-connections", 0, "HTTP/2 connections the watchers share (default: one per 16)")
	flag.BoolVar(&cfg.watchRest, "watch-rest", false, "watch through the REST edge (GET /v1/{event}/seats:watch, NDJSON)")
	flag.DurationVar(&cfg.watchTimeout, "watch-timeout", 3*time.Minute, "how long the watchers may take to get their snapshots")
	flag.DurationVar(&cfg.watchIdle, "watch-idle", 3*time.Second, "how long the watchers sit on the map before the sale opens, as people do")
	flag.DurationVar(&cfg.settle, "settle", 20*time.Second, "how long after the holds every watcher may take to see every won seat")
	flag.Parse()
	if cfg.event == "" {
		fail(fmt.Errorf("-event is required"))
	}
	seats, tokens, passes := lines(cfg.seatsFile), lines(cfg.tokensFile), lines(cfg.passesFile)
	if len(seats) == 0 && cfg.call == "hold" {
		fail(fmt.Errorf("-seats names no seat"))
	}
	if cfg.call != "hold" && cfg.call != "join" || cfg.call == "join" && cfg.rest {
		fail(fmt.Errorf("-call is hold or join (join over gRPC only)"))
	}
	cfg.connections = max(1, min(cfg.connections, cfg.concurrency))
	conns := make([]*h2conn, cfg.connections)
	for i := range conns {
		conn, err := dial(cfg.target, protocol{contentType: "application/grpc"})
		if cfg.rest {
			conn, err = dial(cfg.target, protocol{contentType: "application/json", rest: true})
		}
		if err != nil {
			fail(err)
		}
		conns[i] = conn
	}
	if cfg.warmup > 0 {
		warm := cfg.warmupEvent
		if warm == "" {
			warm = cfg.event
		}
		warmSeats := seats
		if cfg.warmupSeatsFile != "" {
			warmSeats = lines(cfg.warmupSeatsFile)
		}
		fire(cfg, conns, warm, cfg.warmup, warmSeats, tokens, passes, nil)
	}
	var won *wins
	var watched *watching
	var watchConns []*h2conn
	if cfg.watchers > 0 {
		won = newWins(seats)
		watchConns = dialWatchers(cfg)
		watched = openWatchers(watchConns, cfg.event, cfg.watchers, cfg.watchRest, won, cfg.watchTimeout)
		fmt.Fprintf(os.Stderr, "loadgen: %d of %d watchers have their snapshot (%.1f s)\n",
			watched.snapshots(), cfg.watchers, watched.opened.Seconds())
		time.Sleep(cfg.watchIdle)
	}
	before := cpuSeconds()
	tallies, took := fire(cfg, conns, cfg.event, cfg.attempts, seats, tokens, passes, won)
	out := summarize(cfg, tallies, took, cpuSeconds()-before)
	if watched != nil {
		settled := watched.settle(won, cfg.settle)
		result := watched.result(watchConns, won, settled)
		out.Watch = &result
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail(err)
	}
}
