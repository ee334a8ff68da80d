import CoalitionTestSupport
import Foundation
import Testing

/// `coalition content` and `coalition rules`/`webhooks` through the real binary, without a node
/// running: every bad input is refused with its line or field, and nothing good is lost.
@Suite struct ContentCLITests {
    @Test("content import names every bad line, registers the rest, and counts what was already there")
    func importReportsBadLines() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "photo-app"]).check()
            let file = cli.dataDir + "/bank.csv"
            try """
                contentId,kind,value
                post-1,md5,D41D8CD98F00B204E9800998ECF8427E
                post-2,pdq,not-a-hash
                "post-3,unterminated
                post-4,url,https://example.com/video?id=4

                post-5,vpdq,whatever
                """.write(toFile: file, atomically: true, encoding: .utf8)
            let r = try cli.run(["content", "import", file])
            #expect(r.status == 1)
            #expect(r.stdout.contains("5 lines: 2 registered, 0 already registered, 3 refused"), "\(r.stdout)")
            #expect(r.stderr.contains("line 3:") && r.stderr.contains("line 4:") && r.stderr.contains("line 7:"), "\(r.stderr)")
            let again = try cli.run(["content", "import", file])
            #expect(again.stdout.contains("2 already registered"), "\(again.stdout)")
            let stats = try cli.run(["content"]).check().stdout
            #expect(stats.contains("md5  1") && stats.contains("url  1"), "\(stats)")
            #expect(try cli.run(["content", "remove", "post-1"]).check().stdout.contains("removed 1 item"))
            let missing = try cli.run(["content", "remove", "post-1"])
            #expect(missing.status == 1 && missing.stderr.contains("nothing registered"))

            try "contentId;kind;value\n".write(toFile: file, atomically: true, encoding: .utf8)
            let header = try cli.run(["content", "import", file])
            #expect(header.status == 1 && header.stderr.contains("header contentId,kind,value"), "\(header.stderr)")
            let json = cli.dataDir + "/bank.jsonl"
            try "{\"contentId\":\"a\",\"kind\":\"sha256\",\"value\":\"\(String(repeating: "ab", count: 32))\"}\n{\"contentId\":1}\n".write(toFile: json, atomically: true, encoding: .utf8)
            let jl = try cli.run(["content", "import", json])
            #expect(jl.stdout.contains("1 registered") && jl.stderr.contains("line 2:"), "\(jl.stdout) \(jl.stderr)")
        }
    }

    @Test("rules and webhooks refuse what cannot work, naming the field")
    func rulesAndWebhooksRefuseBadInput() async throws {
        try await integrationTest {
            let cli = CLIRunner()
            defer { cli.cleanUp() }
            try cli.run(["init", "--name", "forum"]).check()
            for (args, message) in [
                (["webhooks", "add", "Bad Name", "https://example.com/"], "not a valid name"),
                (["webhooks", "add", "ok", "ftp://example.com/"], "http(s) URL"),
                (["webhooks", "add", "ok", "https://example.com/", "--secret", "whsec_short"], "secret"),
            ] {
                let r = try cli.run(args)
                #expect(r.status == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
            }
            let secret = try cli.run(["webhooks", "add", "oncall", "https://example.com/hook"]).check().stdout
            #expect(secret.hasPrefix("whsec_"))
            #expect(!(try cli.run(["webhooks", "list"]).check().stdout.contains(secret.trimmingCharacters(in: .whitespacesAndNewlines))), "never listed")
            for (args, message) in [
                (["rules", "add", "--name", "r", "--event", "exploded", "--destination", "oncall"], "not an event type"),
                (["rules", "add", "--name", "r", "--min-severity", "apocalyptic", "--destination", "oncall"], "severity"),
                (["rules", "add", "--name", "r", "--author", "nobody", "--destination", "oncall"], "member"),
            ] {
                let r = try cli.run(args)
                #expect(r.status == 1 && r.stderr.lowercased().contains(message), "\(args): \(r.stderr)")
            }
            try cli.run(["rules", "add", "--name", "crisis", "--event", "published", "--min-severity", "critical", "--destination", "oncall"]).check()
            #expect(try cli.run(["rules", "list"]).check().stdout.contains("crisis → oncall  signal.published  severity ≥ critical  (store)"))
            #expect(try cli.run(["rules", "remove", "crisis"]).check().stdout.contains("removed crisis"))
            #expect(try cli.run(["rules", "remove", "crisis"]).status == 1)
        }
    }
}
