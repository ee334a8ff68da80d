import CoalitionTestSupport
import Foundation
import Testing

/// A node whose wall clock jumps ten years back and then ten years forward while it runs
/// (`COALITION_CLOCK_OFFSET_FILE`, read by the node every 100 ms), in the middle of a line
/// A ← B ← C: entries are stamped by their authors' clocks, and whether an entry is valid never
/// depends on the clock of the node that receives it, so everything still flows and the three
/// nodes end on one digest. Quotas and rate limits run on the monotonic clock.
@Suite struct ClockJumpTests {
    @Test func aNodeWhoseClockJumpsBackAndForthKeepsRelayingAndPublishingAndTheLineConverges() async throws {
        try await integrationTest {
            let (mesh, a, b, c) = try TestMesh.line()
            defer { mesh.shutdown() }
            let offset = mesh.root + "/b-clock-offset"
            try "0".write(toFile: offset, atomically: true, encoding: .utf8)
            let token = try b.cli(["tokens", "create", "--name", "clock", "--scope", "publish"]).check().stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try await a.launch()
            try b.spawn(environment: ["COALITION_CLOCK_OFFSET_FILE": offset])
            try await waitFor("B answers") { (try? b.status()) != nil }
            try await c.launch()

            var expected = 0
            let tenYears = 10 * 365 * 86_400
            let thisYear = Calendar(identifier: .gregorian).component(.year, from: Date())
            var last = ""
            for (step, shift) in [0, -tenYears, tenYears].enumerated() {
                try String(shift).write(toFile: offset, atomically: true, encoding: .utf8)
                // B stamps with its own clock (through its API); A and C with the real one. After
                // the jump back B's chain keeps its last timestamp (a chain never goes back in
                // time); after the jump forward it stamps ten years ahead.
                let wantedYear = shift > 0 ? thisYear + 10 : thisYear
                var stamped = ""
                var tries = 0
                try await waitFor("B publishes, stamped in \(wantedYear), after its clock moved by \(shift) s") {
                    tries += 1
                    guard let r = try b.publishThroughAPI("#clockstep\(step)b\(tries)", token: token), r.status == 201 else { return false }
                    expected += 1
                    let body = String(decoding: r.body, as: UTF8.self)
                    stamped = body.range(of: #""publishedAt":"[^"]*""#, options: .regularExpression).map { String(body[$0].dropFirst(15).dropLast()) } ?? ""
                    return stamped.hasPrefix("\(wantedYear)-")
                }
                #expect(stamped >= last, "B's timestamps never decrease: \(stamped) after \(last)")
                last = stamped
                try a.publish("#clockstep\(step)a")
                try c.publish("#clockstep\(step)c")
                expected += 2
                let want = expected
                try await waitFor("step \(step): the line converges with B's clock moved by \(shift) s") { try converged([a, b, c], entries: want) }
            }
            for n in [a, c] {
                let shown = try n.cli(["list", "--limit", "100"]).check().stdout
                #expect(shown.contains("#clockstep1b1") && shown.contains("#clockstep2b"), "\(n.name) holds B's entries from the past and the future")
            }
        }
    }
}
