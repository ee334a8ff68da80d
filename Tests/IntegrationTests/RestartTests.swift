import CoalitionNode
import CoalitionTestSupport
import Foundation
import Testing

/// A node ended by SIGKILL (an OOM kill, a power cut, systemd's stop timeout) starts again on
/// the same data directory with its data, and a second node on a directory in use is refused.
@Suite(.serialized) struct RestartTests {
    @Test("20 kill -9 at random moments: each restart comes up with every signal stored before it")
    func restartsAfterKill9() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            var random = SeededRandom(seed: 23)
            let socket = a.dir + "/" + AdminSocketService.fileName
            var published = 0
            for round in 0..<20 {
                try a.spawn()
                // Every third round is killed while still starting; the others once they answer,
                // after publishing one more signal, at a random delay.
                if round % 3 == 2 {
                    usleep(random.next(upperBound: UInt32(800_000)))
                } else {
                    try eventually("restart \(round) answers on its admin socket", within: 120) { (try? a.status()) != nil }
                    let status = try a.status()
                    #expect(status.entries == published, "restart \(round): \(status.entries) entries, \(published) published")
                    try a.publish("#KillNine\(round)")
                    published += 1
                    usleep(random.next(upperBound: UInt32(1_500_000)))
                }
                a.kill9()
                if round % 3 != 2 {
                    // The unclean exit leaves the socket file behind: the next start must replace it.
                    #expect(FileManager.default.fileExists(atPath: socket), "round \(round): no stale admin.sock to replace")
                }
            }
            try a.start()
            #expect(try a.status().entries == published)
            let list = try a.cli(["list"]).check().stdout
            for round in 0..<20 where round % 3 != 2 {
                #expect(list.contains("#killnine\(round)"), "signal of round \(round) missing")
            }
            #expect(a.log().contains("replacing a stale admin socket"))
            #expect(!a.log().contains("Precondition failed"))
        }
    }

    @Test("a second run on a directory in use exits 1 naming the running node's PID; the first keeps serving")
    func secondRunIsRefused() async throws {
        try await integrationTest {
            let mesh = TestMesh()
            defer { mesh.shutdown() }
            let a = try mesh.add("A")
            try a.start()
            let pid = try #require(a.pid)
            let second = try a.cli(["run"])
            #expect(second.status == 1)
            #expect(second.stderr.contains("another node is already running"), "\(second.stderr)")
            #expect(second.stderr.contains("(pid \(pid))"), "\(second.stderr)")
            #expect(!second.stderr.contains("Precondition"))
            // The running node is untouched: its socket still answers and it still stops cleanly.
            #expect(try a.status().name == "A")
            #expect(a.stop() == 0)
        }
    }
}
