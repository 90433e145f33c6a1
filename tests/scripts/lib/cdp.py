#!/usr/bin/env python3
"""cdp.py - drives a headless Chromium through the DevTools protocol, with nothing but the
standard library (a minimal WebSocket client), for the tests of the live and demo pages.

    cdp.py PORT STEP...

Chromium must be running with --remote-debugging-port=PORT. Steps, run in order:
    open URL             navigate the first page to URL and wait for its load event
    wait EXPR SECONDS    evaluate the JavaScript EXPR every 0.2 s until it is truthy (else fail)
    eval EXPR            print the value of EXPR (JSON)
    key NAME             press a key (ArrowRight, ArrowLeft, ...) through Input.dispatchKeyEvent
    shot FILE            a PNG screenshot of the page
    sleep SECONDS
Console messages of level error or warning, and uncaught exceptions, of the page are printed
as "console: ..." and make the exit code 1. Other failures exit 2.
"""
import base64
import json
import os
import socket
import struct
import sys
import time
import urllib.request


class WS:
    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        self.s = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            if not chunk:
                raise RuntimeError("websocket handshake failed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket handshake refused: %r" % head[:80])
        self.buf = b""

    def send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op in (0, 1, 2):
                msg += payload
                if b0 & 0x80:
                    return msg.decode()
            elif op == 8:
                raise RuntimeError("websocket closed by chromium")


class Page:
    def __init__(self, port):
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5) as r:
                    targets = json.load(r)
                pages = [t for t in targets if t.get("type") == "page"]
                if pages:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("no DevTools endpoint on port %d" % port)
            time.sleep(0.2)
        self.ws = WS(pages[0]["webSocketDebuggerUrl"])
        self.id = 0
        self.events = []
        self.problems = []
        for m in ("Runtime.enable", "Log.enable", "Page.enable"):
            self.call(m)

    def _note(self, ev):
        m, p = ev.get("method"), ev.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            self.problems.append("%s %s" % (p.get("type"), args))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.problems.append("exception %s %s" % (d.get("text", ""),
                                 d.get("exception", {}).get("description", "")))
        elif m == "Log.entryAdded":
            e = p.get("entry", {})
            if e.get("level") in ("error", "warning") and not str(e.get("url", "")).startswith("chrome"):
                self.problems.append("log %s %s %s" % (e.get("level"), e.get("text"), e.get("url", "")))
        self.events.append(m)

    def call(self, method, **params):
        self.id += 1
        self.ws.send(json.dumps({"id": self.id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self._note(msg)

    def wait_event(self, name, seconds):
        deadline = time.time() + seconds
        self.ws.s.settimeout(1)
        while time.time() < deadline:
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                continue
            self._note(msg)
            if msg.get("method") == name:
                self.ws.s.settimeout(30)
                return True
        self.ws.s.settimeout(30)
        return False

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise RuntimeError("evaluating %s: %s" % (expr, r["exceptionDetails"].get("text")))
        return r.get("result", {}).get("value")


def main(argv):
    page = Page(int(argv[1]))
    steps = argv[2:]
    i = 0
    while i < len(steps):
        op = steps[i]
        if op == "open":
            page.call("Page.navigate", url=steps[i + 1])
            if not page.wait_event("Page.loadEventFired", 30):
                raise RuntimeError("no load event for " + steps[i + 1])
            i += 2
        elif op == "wait":
            expr, secs = steps[i + 1], float(steps[i + 2])
            deadline = time.time() + secs
            while not page.eval(expr):
                if time.time() > deadline:
                    raise RuntimeError("timed out waiting for: " + expr)
                time.sleep(0.2)
            i += 3
        elif op == "eval":
            print(json.dumps(page.eval(steps[i + 1])))
            i += 2
        elif op == "key":
            k = steps[i + 1]
            codes = {"ArrowRight": 39, "ArrowLeft": 37, " ": 32}
            for t in ("keyDown", "keyUp"):
                page.call("Input.dispatchKeyEvent", type=t, key=k, code=k,
                          windowsVirtualKeyCode=codes.get(k, 0))
            i += 2
        elif op == "shot":
            r = page.call("Page.captureScreenshot", format="png")
            with open(steps[i + 1], "wb") as f:
                f.write(base64.b64decode(r["data"]))
            i += 2
        elif op == "sleep":
            time.sleep(float(steps[i + 1]))
            i += 2
        else:
            raise RuntimeError("unknown step " + op)
    # events that came while nothing was asked
    page.call("Runtime.evaluate", expression="1")
    for p in page.problems:
        print("console: " + p)
    return 1 if page.problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception as e:  # noqa: BLE001 - any failure of the driver is the test's failure
        print("cdp: %s" % e)
        sys.exit(2)
