import CoalitionCore
import CoalitionNode
import CoalitionTestSupport
import Foundation
import Testing

/// A node whose clock is wrong, or jumps, under libfaketime (Debian's `faketime`, installed by
/// Deploy/setup.sh). Entries carry their author's timestamp, and whether an entry is valid must
/// not depend on the clock of the node that checks it; the TLS certificate's dates are not what
/// authenticates a peer either.
@Suite(.serialized) struct ClockJumpTests {
    static let library = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"

    /// The shell prefix that runs `coalition run` with its wall clock `offset` away (faketime's
    /// syntax: "-40d", "+365d"); monotonic time, which timers use, stays real.
    static func fakeClock(_ offset: String) -> String {
        "export FAKETIME='\(offset)' FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=\(library);"
    }

    /// A's entries from its export, in chain order.
    static func entries(_ node: TestNode) throws -> [Entry] {
        let text = try node.cli(["export"]).check().stdout
        return try text.split(separator: "\n").map { try ExportedEntry.decodeEntry($0) }.sorted { $0.seq < $1.seq }
    }

    @Test("a node 40 days behind, then a year ahead, then right again: its peer takes every entry, and the chain's stamps never go back")
    func clockJumps() async throws {
        try await integrationTest {
            try #require(FileManager.default.fileExists(atPath: Self.library), "libfaketime is missing: run Deploy/setup.sh")
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A"), b = try mesh.add("B")
            try mesh.link("B", "A")
            let token = try a.cli(["tokens", "create", "--name", "writer", "--scope", "publish"]).check().stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            try b.start()
            let day: Int64 = 86_400_000
            let started = Int64(Date().timeIntervalSince1970 * 1000)

            // Each phase: A runs with its clock at `offset` and signs one signal through its API.
            for (i, offset) in ["-40d", "+365d", "+0"].enumerated() {
                try a.spawn(shell: Self.fakeClock(offset))
                try await waitFor("A answers with its clock at \(offset)") { (try? a.status()) != nil }
                let answer = try a.publishThroughAPI("#clock\(i)", token: token)
                #expect(answer?.status == 201, "clock \(offset): \(String(describing: answer?.status)) \(String(decoding: answer?.body ?? [], as: UTF8.self))")
                try await waitFor("B receives the signal A signed with its clock at \(offset)") { try b.status().entries == i + 1 }
                #expect(a.stop() == 0)
            }
            let chain = try Self.entries(a)
            try #require(chain.count == 3)
            // The stamps are A's clock's: 40 days back, a year ahead, and then, with the clock
            // right again, no earlier than its predecessor (a chain never goes back in time).
            #expect(abs(chain[0].timestamp - (started - 40 * day)) < day, "\(chain[0].timestamp)")
            #expect(abs(chain[1].timestamp - (started + 365 * day)) < day, "\(chain[1].timestamp)")
            #expect(chain[2].timestamp == chain[1].timestamp, "stamped \(chain[2].timestamp) after \(chain[1].timestamp)")
            #expect(try Self.entries(b).map(\.id) == chain.map(\.id), "B holds A's chain as signed")
            try a.start()
            try await waitFor("A and B hold one state") { try a.status().stateDigest == b.status().stateDigest }
            #expect(!a.log().contains("Precondition") && !b.log().contains("Precondition"))
        }
    }
}
