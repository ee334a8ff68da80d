import CoalitionTestSupport
import Foundation
import Testing

/// A node refuses to start on a data directory that is unsafe or damaged, and says what is
/// wrong with which file.
@Suite struct StartupCheckTests {
    func node() throws -> CLIRunner {
        let cli = CLIRunner()
        try cli.run(["init", "--name", "checked"]).check()
        return cli
    }

    func refused(_ cli: CLIRunner, saying parts: [String], _ sourceLocation: SourceLocation = #_sourceLocation) throws {
        for command in [["id"], ["run"]] {
            let r = try cli.run(command)
            #expect(r.status == 1, "\(command): exit \(r.status)", sourceLocation: sourceLocation)
            for part in parts { #expect(r.stderr.contains(part), "\(command): \(r.stderr)", sourceLocation: sourceLocation) }
        }
    }

    @Test("a world-writable data directory is refused with the chmod fix; one writable by the node's own group is accepted")
    func directoryPermissions() async throws {
        try await integrationTest {
            let cli = try node()
            defer { cli.cleanUp() }
            chmod(cli.dataDir, 0o777)
            try refused(cli, saying: ["permissions 777", "every user", "chmod 700 \(cli.dataDir)"])
            // A foreign group that may write: refused.
            chmod(cli.dataDir, 0o770)
            chown(cli.dataDir, geteuid(), getegid() &+ 4242)
            try refused(cli, saying: ["permissions 770", "group \(getegid() &+ 4242)"])
            // The node's own group (a Kubernetes volume under fsGroup): accepted.
            chown(cli.dataDir, geteuid(), getegid())
            #expect(try cli.run(["id"]).status == 0)
        }
    }

    @Test("a key file with two seed lines is refused, not read up to the first")
    func twoSeeds() async throws {
        try await integrationTest {
            let cli = try node()
            defer { cli.cleanUp() }
            let key = cli.dataDir + "/member.key"
            let text = try String(contentsOfFile: key, encoding: .utf8)
            try (text + Data((0..<32).map { UInt8($0) }).base64EncodedString() + "\n").write(toFile: key, atomically: false, encoding: .utf8)
            try refused(cli, saying: ["member.key is malformed", "more than one seed line"])
        }
    }

    @Test("a key file that is a directory is reported as one")
    func keyIsDirectory() async throws {
        try await integrationTest {
            let cli = try node()
            defer { cli.cleanUp() }
            let key = cli.dataDir + "/member.key"
            try FileManager.default.removeItem(atPath: key)
            try FileManager.default.createDirectory(atPath: key, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try refused(cli, saying: ["member.key is a directory"])
        }
    }

    @Test("binary garbage in coalition.yaml is reported as such, a missing file as missing")
    func binaryConfiguration() async throws {
        try await integrationTest {
            let cli = try node()
            defer { cli.cleanUp() }
            let config = cli.dataDir + "/coalition.yaml"
            try Data([0xFF, 0xFE, 0x00, 0x01, 0x9C, 0x80, 0xC3, 0x28] + Array(repeating: 0xA0, count: 64)).write(to: URL(fileURLWithPath: config))
            try refused(cli, saying: ["coalition.yaml is not UTF-8 text"])
            try FileManager.default.removeItem(atPath: config)
            try refused(cli, saying: ["coalition.yaml is missing"])
        }
    }
}
