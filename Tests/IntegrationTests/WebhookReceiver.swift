import Foundation
import Testing

/// The alerting suites (rules across a line, the retro-hunt, the crash and outage tests), one at a
/// time: each starts node processes and a receiver, and the crash test alone keeps both cores busy.
@Suite(.serialized) struct AlertingIntegration {}

/// A real HTTP receiver in Python that verifies every delivery with the `standardwebhooks`
/// package from PyPI (a client no one here wrote) and records each one as a JSON line:
/// `{"path", "id", "ok", "type", "data"}` or `{"path", "id", "ok": false, "error"}`.
/// Each path has its own secret; a path with the wrong secret answers 401.
final class WebhookReceiver: @unchecked Sendable {
    static let script = #"""
    import sys, json, http.server, signal, threading
    from standardwebhooks import Webhook
    # The test process's threads block signals, and a child inherits the mask: let SIGTERM in.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM, signal.SIGINT])
    port, out = int(sys.argv[1]), sys.argv[2]
    secrets = dict(arg.split("=", 1) for arg in sys.argv[3:])
    lock = threading.Lock()
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            record = {"path": self.path, "id": self.headers.get("webhook-id")}
            status = 404
            if self.path in secrets:
                try:
                    payload = Webhook(secrets[self.path]).verify(body, dict(self.headers.items()))
                    record.update(ok=True, type=payload["type"], data=payload["data"])
                    status = 204
                except Exception as e:
                    record.update(ok=False, error=f"{type(e).__name__}: {e}")
                    status = 401
            with lock:
                with open(out, "a") as f:
                    f.write(json.dumps(record) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print("listening", flush=True)
    server.serve_forever()
    """#

    let port: Int
    let out: String
    let secrets: [String: String]
    private var process: Process?

    /// - Parameter secrets: the secret of each path (`/hook` → `whsec_…`).
    init(port: Int = TestMesh.freePort(), out: String, secrets: [String: String]) {
        self.port = port
        self.out = out
        self.secrets = secrets
    }

    deinit { stop() }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", Self.script, String(port), out] + secrets.map { "\($0.key)=\($0.value)" }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.standardError
        try p.run()
        process = p
        // "listening" once the socket is bound.
        let line = pipe.fileHandleForReading.availableData
        guard String(decoding: line, as: UTF8.self).contains("listening") else {
            Issue.record("the webhook receiver did not start (is standardwebhooks installed? Deploy/setup.sh installs it)")
            throw CancellationError()
        }
    }

    func stop() {
        guard let p = process else { return }
        process = nil
        if p.isRunning { p.terminate() }
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
    }

    /// Every delivery recorded so far, in arrival order.
    func deliveries() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: out, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The verified deliveries to `path`.
    func verified(_ path: String = "/hook") -> [[String: Any]] {
        deliveries().filter { $0["path"] as? String == path && $0["ok"] as? Bool == true }
    }
}

extension [String: Any] {
    /// `data.signal.id` of a delivery.
    var signalID: String? { ((self["data"] as? [String: Any])?["signal"] as? [String: Any])?["id"] as? String }
    var eventType: String? { self["type"] as? String }
}
