package main

// A minimal gRPC client over cleartext HTTP/2, written for the generator's cost, not generality: one
// writer goroutine per connection batches frames and flushes when it has nothing more to send, one
// reader goroutine completes calls from their trailers. grpc-go cost about 80 µs of CPU per call here
// (the no-op server then reached only 80 % of h2load's figure); this costs about as much as h2load.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

const receiveWindow = 1 << 30 // granted at once, so the server never waits for our window updates

// call is one unary call, or (control set) a frame of the connection's own housekeeping that the
// reader hands to the writer, which alone writes to the framer.
type call struct {
	method  string       // POST unless set (a REST watch is a GET)
	stream  *watchStream // set for a server-streaming watch: its DATA is fed to it
	path    string
	token   string
	body    []byte
	done    chan string // the outcome: "OK" or "Code/REASON"
	control func() error
	status  string // REST: the reply's :status
	reply   []byte // REST: the reply's body (it carries the ErrorInfo)
}

// protocol: how calls are framed and answers read: gRPC (length-prefixed protobuf, outcome in the
// trailers) or REST through the edge (JSON, outcome in :status and the body's ErrorInfo).
type protocol struct {
	contentType string
	rest        bool
}

type h2conn struct {
	authority string
	protocol
	framer     *http2.Framer
	out        *bufio.Writer
	queue      chan *call
	mu         sync.Mutex
	calls      map[uint32]*call
	sendWindow int64
	windowed   *sync.Cond
	received   int64
}

func dial(target string, proto protocol) (*h2conn, error) {
	tcp, err := net.Dial("tcp", target)
	if err != nil {
		return nil, err
	}
	c := &h2conn{
		authority: target, protocol: proto, out: bufio.NewWriterSize(tcp, 64*1024),
		queue: make(chan *call, 4096), calls: map[uint32]*call{}, sendWindow: 65535,
	}
	c.windowed = sync.NewCond(&c.mu)
	c.framer = http2.NewFramer(c.out, bufio.NewReaderSize(tcp, 64*1024))
	c.framer.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.framer.MaxHeaderListSize = 1 << 20
	if _, err := c.out.WriteString(http2.ClientPreface); err != nil {
		return nil, err
	}
	if err := c.framer.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: receiveWindow}); err != nil {
		return nil, err
	}
	if err := c.framer.WriteWindowUpdate(0, receiveWindow-65535); err != nil {
		return nil, err
	}
	if err := c.out.Flush(); err != nil {
		return nil, err
	}
	go c.write()
	go c.read()
	return c, nil
}

// invoke sends one unary call and waits for its outcome.
func (c *h2conn) invoke(path, token string, body []byte) string {
	done := make(chan string, 1)
	c.queue <- &call{path: path, token: token, body: body, done: done}
	return <-done
}

func (c *h2conn) write() {
	var headers bytes.Buffer
	encoder := hpack.NewEncoder(&headers)
	frame := make([]byte, 0, 512)
	next := uint32(1)
	for first := range c.queue {
		for pending := first; pending != nil; pending = c.more() {
			if pending.control != nil {
				if err := pending.control(); err != nil {
					fail(err)
				}
				continue
			}
			headers.Reset()
			method := pending.method
			if method == "" {
				method = "POST"
			}
			for _, field := range [][2]string{
				{":method", method}, {":scheme", "http"}, {":path", pending.path}, {":authority", c.authority},
				{"content-type", c.contentType}, {"te", "trailers"},
			} {
				_ = encoder.WriteField(hpack.HeaderField{Name: field[0], Value: field[1]})
			}
			if pending.token != "" {
				_ = encoder.WriteField(hpack.HeaderField{Name: "authorization", Value: "Bearer " + pending.token})
			}
			frame = frame[:0]
			if !c.rest {
				frame = append(frame, 0, 0, 0, 0, 0)
				binary.BigEndian.PutUint32(frame[1:5], uint32(len(pending.body)))
			}
			frame = append(frame, pending.body...)
			c.mu.Lock()
			for c.sendWindow < int64(len(frame)) {
				c.windowed.Wait()
			}
			c.sendWindow -= int64(len(frame))
			id := next
			next += 2
			c.calls[id] = pending
			c.mu.Unlock()
			bodiless := method == "GET"
			err := c.framer.WriteHeaders(http2.HeadersFrameParam{
				StreamID: id, BlockFragment: headers.Bytes(), EndHeaders: true, EndStream: bodiless,
			})
			if err == nil && !bodiless {
				err = c.framer.WriteData(id, true, frame)
			}
			if err != nil {
				fail(err)
			}
		}
		if err := c.out.Flush(); err != nil {
			fail(err)
		}
	}
}

// more: the next queued call if one is waiting, else nil (time to flush).
func (c *h2conn) more() *call {
	select {
	case next := <-c.queue:
		return next
	default:
		return nil
	}
}

func (c *h2conn) read() {
	for {
		frame, err := c.framer.ReadFrame()
		if err != nil {
			fail(fmt.Errorf("connection to %s: %w", c.authority, err))
		}
		switch f := frame.(type) {
		case *http2.SettingsFrame:
			c.settings(f)
		case *http2.PingFrame:
			if !f.IsAck() {
				c.control(func() error { return c.framer.WritePing(true, f.Data) })
			}
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				c.mu.Lock()
				c.sendWindow += int64(f.Increment)
				c.windowed.Broadcast()
				c.mu.Unlock()
			}
		case *http2.DataFrame:
			c.data(f)
		case *http2.MetaHeadersFrame:
			c.headers(f)
		case *http2.RSTStreamFrame:
			c.finish(f.StreamID, "RST_STREAM/"+f.ErrCode.String())
		case *http2.GoAwayFrame:
			fail(fmt.Errorf("%s sent GOAWAY %s", c.authority, f.ErrCode))
		}
	}
}

func (c *h2conn) settings(f *http2.SettingsFrame) {
	if f.IsAck() {
		return
	}
	c.control(c.framer.WriteSettingsAck)
}

// data: replies' bodies are not decoded; the connection window is topped up once half is used.
func (c *h2conn) data(f *http2.DataFrame) {
	c.received += int64(len(f.Data()))
	if c.received > receiveWindow/2 {
		grant := uint32(c.received)
		c.received = 0
		c.control(func() error { return c.framer.WriteWindowUpdate(0, grant) })
	}
	c.mu.Lock()
	if pending := c.calls[f.StreamID]; pending != nil {
		switch {
		case pending.stream != nil:
			pending.stream.feed(f.Data())
		case c.rest:
			pending.reply = append(pending.reply, f.Data()...)
		}
	}
	c.mu.Unlock()
	if f.StreamEnded() {
		c.end(f.StreamID)
	}
}

func (c *h2conn) headers(f *http2.MetaHeadersFrame) {
	if c.rest {
		if status := f.PseudoValue("status"); status != "" {
			c.mu.Lock()
			if pending := c.calls[f.StreamID]; pending != nil {
				pending.status = status
			}
			c.mu.Unlock()
		}
		if f.StreamEnded() {
			c.end(f.StreamID)
		}
		return
	}
	if f.StreamEnded() {
		c.finish(f.StreamID, trailerOutcome(f))
	}
}

// end completes a call whose stream ended without gRPC trailers: REST answers, or a broken gRPC one.
func (c *h2conn) end(id uint32) {
	if !c.rest {
		c.finish(id, "NO_TRAILERS")
		return
	}
	c.mu.Lock()
	pending := c.calls[id]
	c.mu.Unlock()
	if pending != nil {
		c.finish(id, restOutcome(pending.status, pending.reply))
	}
}

// control queues a housekeeping frame for the writer, between its batches of calls.
func (c *h2conn) control(write func() error) {
	c.queue <- &call{control: write}
}

func (c *h2conn) finish(id uint32, outcome string) {
	c.mu.Lock()
	pending := c.calls[id]
	delete(c.calls, id)
	c.mu.Unlock()
	if pending != nil {
		pending.done <- outcome
	}
}

func trailerOutcome(f *http2.MetaHeadersFrame) string {
	code, details := f.PseudoValue("status"), ""
	if code != "" && code != "200" {
		return "HTTP/" + code
	}
	grpcStatus := ""
	for _, field := range f.RegularFields() {
		switch field.Name {
		case "grpc-status":
			grpcStatus = field.Value
		case "grpc-status-details-bin":
			details = field.Value
		}
	}
	n, err := strconv.Atoi(grpcStatus)
	if err != nil {
		return "NO_GRPC_STATUS"
	}
	if n == 0 {
		return "OK"
	}
	return codes.Code(n).String() + "/" + reason(details)
}

// restOutcome: "OK" for a 200, else the HTTP status and the reason of the body's ErrorInfo.
func restOutcome(status string, body []byte) string {
	if status == "200" {
		return "OK"
	}
	var reply struct {
		Details []struct {
			Type   string `json:"@type"`
			Reason string `json:"reason"`
		} `json:"details"`
	}
	found := "(no ErrorInfo)"
	if json.Unmarshal(body, &reply) == nil {
		for _, detail := range reply.Details {
			if strings.HasSuffix(detail.Type, "/google.rpc.ErrorInfo") {
				found = detail.Reason
				break
			}
		}
	}
	return "HTTP" + status + "/" + found
}

func reason(encoded string) string {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(encoded, "="))
	if err != nil || encoded == "" {
		return "(no ErrorInfo)"
	}
	var st spb.Status
	if proto.Unmarshal(raw, &st) != nil {
		return "(undecodable status)"
	}
	for _, detail := range st.GetDetails() {
		if strings.HasSuffix(detail.GetTypeUrl(), "/google.rpc.ErrorInfo") {
			var info errdetails.ErrorInfo
			if proto.Unmarshal(detail.GetValue(), &info) == nil {
				return info.GetReason()
			}
		}
	}
	return "(no ErrorInfo)"
}
