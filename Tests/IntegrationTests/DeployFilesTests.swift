import Foundation
import Testing
import Yams

/// The deployment files under Deploy/ parse, and hold what Deploy/README.md promises.
@Suite("Deploy files")
struct DeployFilesTests {
    @Test("every YAML file under Deploy/ parses, with at least one document")
    func yamlFilesParse() throws {
        let files = try DeployFiles.list(extensions: ["yml", "yaml"])
        let expected: Set = [
            "coalition.sample.yaml", "compose/docker-compose.yml", "k8s/configmap.yaml", "k8s/networkpolicy.yaml",
            "k8s/secret.yaml", "k8s/service.yaml", "k8s/statefulset.yaml",
        ]
        #expect(expected.isSubset(of: Set(files)), "missing: \(expected.subtracting(files).sorted())")
        for file in files {
            let docs = try DeployFiles.documents(file)
            #expect(!docs.isEmpty, "\(file) has no YAML document")
            for (i, doc) in docs.enumerated() {
                #expect(DeployFiles.mapping(doc) != nil, "\(file) document \(i + 1) is not a mapping")
            }
        }
    }

    @Test("the sample configuration has every documented key (its member IDs are placeholders, not checked)")
    func sampleConfiguration() throws {
        let docs = try DeployFiles.documents("coalition.sample.yaml")
        try #require(docs.count == 1)
        let config = try #require(DeployFiles.mapping(docs[0]))
        for key in ["name", "keyFile", "database", "listen", "members", "peers", "gossip", "quota", "api", "alerts"] {
            #expect(config[key] != nil, "coalition.sample.yaml lacks '\(key)'")
        }
        let gossip = try #require(DeployFiles.mapping(config["gossip"]))
        #expect(Set(gossip.keys) == ["antiEntropySeconds", "keepAliveSeconds", "peerQueueBytes", "reconnectMaxSeconds"])
        let quota = try #require(DeployFiles.mapping(config["quota"]))
        #expect(Set(quota.keys) == ["entriesPerAuthorPerMinute", "burst", "pendingPerAuthor"])
        let api = try #require(DeployFiles.mapping(config["api"]))
        #expect(Set(api.keys) == ["listen", "requestsPerSecond", "burst", "tlsCertificate", "tlsKey", "idleTimeoutSeconds", "headerTimeoutSeconds", "requestTimeoutSeconds",
                                     "maxUploadMib", "mediaTimeoutSeconds", "maxConcurrentUploads"])
        let alerts = try #require(DeployFiles.mapping(config["alerts"]))
        #expect(Set(alerts.keys) == ["rules", "timeoutSeconds", "initialBackoffSeconds", "maxBackoffSeconds", "giveUpAfterHours", "maxBacklog",
                                        "retainHours", "retroHuntDistance"])
        // Every peer is also a member.
        let members = try #require(config["members"] as? [Any]).compactMap { DeployFiles.mapping($0)?["id"] as? String }
        let peers = try #require(config["peers"] as? [Any]).compactMap { DeployFiles.mapping($0)?["id"] as? String }
        #expect(!peers.isEmpty && Set(peers).isSubset(of: Set(members)))
    }

    @Test("every Kubernetes document has apiVersion and kind; the set of kinds is complete")
    func kubernetesDocuments() throws {
        let files = try DeployFiles.list(extensions: ["yml", "yaml"]).filter { $0.hasPrefix("k8s/") }
        var kinds: Set<String> = []
        for file in files {
            for (i, doc) in try DeployFiles.documents(file).enumerated() {
                let map = DeployFiles.mapping(doc)
                let apiVersion = map?["apiVersion"] as? String ?? ""
                let kind = map?["kind"] as? String ?? ""
                #expect(!apiVersion.isEmpty && !kind.isEmpty, "\(file) document \(i + 1) lacks apiVersion or kind")
                kinds.insert(kind)
            }
        }
        #expect(kinds.isSuperset(of: ["StatefulSet", "Service", "ConfigMap", "Secret", "NetworkPolicy"]), "kinds: \(kinds.sorted())")
    }

    @Test("the ConfigMap's coalition.yaml parses and names the key file the init container writes")
    func configMapConfiguration() throws {
        let map = try #require(DeployFiles.mapping(try DeployFiles.documents("k8s/configmap.yaml").first))
        let text = try #require(DeployFiles.mapping(map["data"])?["coalition.yaml"] as? String)
        let config = try #require(DeployFiles.mapping(try Yams.load(yaml: text)))
        #expect(config["keyFile"] as? String == "member.key")
        #expect(config["listen"] as? String == "0.0.0.0:7420")
    }

    @Test("the StatefulSet runs one replica with its data volume at /var/lib/coalition")
    func statefulSet() throws {
        let docs = try DeployFiles.documents("k8s/statefulset.yaml").compactMap(DeployFiles.mapping)
        let set = try #require(docs.first { $0["kind"] as? String == "StatefulSet" })
        let spec = try #require(DeployFiles.mapping(set["spec"]))
        // One member key must never run in two nodes at once.
        #expect(spec["replicas"] as? Int == 1)
        let podSpec = try #require(DeployFiles.mapping(DeployFiles.mapping(spec["template"])?["spec"]))
        let containers = try #require(podSpec["containers"] as? [Any]).compactMap(DeployFiles.mapping)
        let node = try #require(containers.first { $0["name"] as? String == "coalition" })
        let mounts = (node["volumeMounts"] as? [Any] ?? []).compactMap(DeployFiles.mapping)
        let dataMount = try #require(mounts.first { $0["mountPath"] as? String == "/var/lib/coalition" })
        let claims = (spec["volumeClaimTemplates"] as? [Any] ?? []).compactMap { DeployFiles.mapping(DeployFiles.mapping($0)?["metadata"])?["name"] as? String }
        #expect(claims.contains(dataMount["name"] as? String ?? "<none>"), "the data mount is not backed by a volumeClaimTemplate")
        let security = DeployFiles.mapping(podSpec["securityContext"])
        #expect(security?["runAsUser"] as? Int == 10001)
        #expect(security?["runAsNonRoot"] as? Bool == true)
    }

    @Test("the compose file runs video-app, photo-app and forum, each with its own data dir")
    func composeServices() throws {
        let compose = try #require(DeployFiles.mapping(try DeployFiles.documents("compose/docker-compose.yml").first))
        let services = try #require(DeployFiles.mapping(compose["services"]))
        var sources: Set<String> = []
        for name in ["video-app", "photo-app", "forum"] {
            let service = try #require(DeployFiles.mapping(services[name]), "no service \(name)")
            let volumes = service["volumes"] as? [Any] ?? []
            let data = volumes.compactMap { $0 as? String }.first { $0.hasSuffix(":/var/lib/coalition") }
            #expect(data != nil, "\(name) does not mount /var/lib/coalition")
            if let data { sources.insert(String(data.dropLast(":/var/lib/coalition".count))) }
        }
        #expect(sources.count == 3, "the services share data dirs: \(sources.sorted())")
    }

    @Test("the systemd unit has ExecStart= and NoNewPrivileges=yes as settings, not comments")
    func systemdUnit() throws {
        let lines = try DeployFiles.read("coalition.service").split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") && !$0.hasPrefix(";") }
        let execStart = lines.first { $0.hasPrefix("ExecStart=") }
        #expect(execStart?.contains(" run ") == true, "ExecStart: \(execStart ?? "missing")")
        #expect(lines.contains("NoNewPrivileges=yes"))
        #expect(lines.contains("[Service]") && lines.contains("[Install]"))
    }

    @Test("the Dockerfile has two stages (two FROM lines)")
    func dockerfileStages() throws {
        let from = try DeployFiles.read("Dockerfile").split(separator: "\n")
            .filter { $0.trimmingCharacters(in: .whitespaces).uppercased().hasPrefix("FROM ") }
        #expect(from.count == 2, "FROM lines: \(from)")
    }

    @Test("bash -n accepts every shell script under Deploy/, and each is executable")
    func shellScriptsParse() throws {
        let scripts = try DeployFiles.list(extensions: ["sh"])
        #expect(Set(["setup.sh", "local-mesh.sh", "compose/init.sh"]).isSubset(of: Set(scripts)), "scripts: \(scripts)")
        for script in scripts {
            let path = DeployFiles.deploy.appendingPathComponent(script).path
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-n", path]
            let err = Pipe()
            p.standardError = err
            p.standardOutput = FileHandle.nullDevice
            p.standardInput = FileHandle.nullDevice
            try p.run()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "bash -n \(script): \(message)")
            #expect(FileManager.default.isExecutableFile(atPath: path), "\(script) is not executable (chmod +x)")
        }
    }
}

/// Finding and reading the files under Deploy/.
enum DeployFiles {
    /// The repository root: this file is <root>/Tests/IntegrationTests/DeployFilesTests.swift.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let deploy = root.appendingPathComponent("Deploy")

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Paths relative to Deploy/ of the files whose extension is in `extensions`, sorted. Skips
    /// hidden entries and compose/data (generated node data: secret keys, possibly owned by uid 10001).
    static func list(extensions: Set<String>) throws -> [String] {
        let fm = FileManager.default
        var found: [String] = []
        var pending = [""]
        while let rel = pending.popLast() {
            let dir = rel.isEmpty ? deploy.path : deploy.path + "/" + rel
            for name in try fm.contentsOfDirectory(atPath: dir) where !name.hasPrefix(".") {
                let path = rel.isEmpty ? name : rel + "/" + name
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: dir + "/" + name, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    if path != "compose/data" { pending.append(path) }
                } else if extensions.contains(URL(fileURLWithPath: name).pathExtension) {
                    found.append(path)
                }
            }
        }
        return found.sorted()
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOf: deploy.appendingPathComponent(path), encoding: .utf8)
    }

    /// Every document in a (multi-document) YAML file. `load_all`'s sequence ends early on a parse
    /// error and keeps the error aside instead of throwing, so the error is checked here.
    static func documents(_ path: String) throws -> [Any] {
        var sequence = try Yams.load_all(yaml: read(path))
        var docs: [Any] = []
        while let doc = sequence.next() { docs.append(doc) }
        if let error = sequence.error { throw Failure(description: "\(path): \(error)") }
        return docs
    }

    /// A YAML mapping with string keys (Yams builds `[AnyHashable: Any]`), or nil.
    static func mapping(_ value: Any?) -> [String: Any]? {
        guard let map = value as? [AnyHashable: Any] else { return nil }
        var out: [String: Any] = [:]
        for (key, v) in map {
            guard let k = key.base as? String else { return nil }
            out[k] = v
        }
        return out
    }
}

/// The query API in each deployment: reachable by the platform's own systems, and by nothing else.
@Suite("Deploy files: the query API")
struct DeployAPIReachabilityTests {
    func kubernetes(_ file: String) throws -> [[String: Any]] {
        try DeployFiles.documents("k8s/" + file).compactMap(DeployFiles.mapping)
    }

    @Test("coalition-api is a ClusterIP Service on 7421 for the pod's 'api' port; the ConfigMap binds the API to the pod's address")
    func apiService() throws {
        let services = try kubernetes("service.yaml").filter { $0["kind"] as? String == "Service" }
        let api = try #require(services.first { DeployFiles.mapping($0["metadata"])?["name"] as? String == "coalition-api" }, "no coalition-api Service")
        let spec = try #require(DeployFiles.mapping(api["spec"]))
        #expect(spec["type"] as? String == "ClusterIP")
        let ports = (spec["ports"] as? [Any] ?? []).compactMap(DeployFiles.mapping)
        #expect(ports.count == 1 && ports.first?["port"] as? Int == 7421 && ports.first?["targetPort"] as? String == "api")
        let config = try #require(DeployFiles.mapping(try kubernetes("configmap.yaml").first?["data"])?["coalition.yaml"] as? String)
        let api2 = DeployFiles.mapping(DeployFiles.mapping(try Yams.load(yaml: config))?["api"])
        #expect(api2?["listen"] as? String == "0.0.0.0:7421")
    }

    @Test("the NetworkPolicy admits 7421 only from pods or namespaces labelled coalition/client, and 7420 only from ipBlocks")
    func networkPolicy() throws {
        let policy = try #require(try kubernetes("networkpolicy.yaml").first { $0["kind"] as? String == "NetworkPolicy" })
        let rules = try #require(DeployFiles.mapping(policy["spec"])?["ingress"] as? [Any]).compactMap(DeployFiles.mapping)
        var apiRules = 0
        for rule in rules {
            let ports = (rule["ports"] as? [Any] ?? []).compactMap { DeployFiles.mapping($0)?["port"] as? Int }
            #expect(!ports.isEmpty, "an ingress rule without ports admits every port")
            let sources = (rule["from"] as? [Any] ?? []).compactMap(DeployFiles.mapping)
            #expect(!sources.isEmpty, "an ingress rule without 'from' admits everyone")
            if ports.contains(7421) {
                apiRules += 1
                #expect(ports == [7421])
                for source in sources {
                    let selector = DeployFiles.mapping(source["podSelector"]) ?? DeployFiles.mapping(source["namespaceSelector"])
                    let labels = DeployFiles.mapping(selector?["matchLabels"]).map { $0.mapValues { "\($0)" } }
                    #expect(labels == ["coalition/client": "true"], "7421 admitted from \(source)")
                    #expect(source["ipBlock"] == nil)
                }
            } else {
                #expect(ports == [7420])
                #expect(sources.allSatisfy { $0["ipBlock"] != nil }, "gossip admitted from something other than peer CIDRs")
            }
        }
        #expect(apiRules == 1)
    }

    @Test("readiness is GET /readyz and liveness GET /healthz on the API port")
    func probes() throws {
        let set = try #require(try kubernetes("statefulset.yaml").first { $0["kind"] as? String == "StatefulSet" })
        let pod = DeployFiles.mapping(DeployFiles.mapping(DeployFiles.mapping(set["spec"])?["template"])?["spec"])
        let node = try #require((pod?["containers"] as? [Any] ?? []).compactMap(DeployFiles.mapping).first { $0["name"] as? String == "coalition" })
        let ports = (node["ports"] as? [Any] ?? []).compactMap(DeployFiles.mapping)
        #expect(ports.contains { $0["name"] as? String == "api" && $0["containerPort"] as? Int == 7421 })
        for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
            let get = DeployFiles.mapping(DeployFiles.mapping(node[probe])?["httpGet"])
            #expect(get?["path"] as? String == path, "\(probe)")
            #expect(get?["port"] as? String == "api", "\(probe)")
        }
    }

    @Test("compose: the client is on video-app's internal network, the API listens there only, and no port is published")
    func compose() throws {
        let compose = try #require(DeployFiles.mapping(try DeployFiles.documents("compose/docker-compose.yml").first))
        let services = try #require(DeployFiles.mapping(compose["services"]))
        for (name, service) in services {
            #expect(DeployFiles.mapping(service)?["ports"] == nil, "\(name) publishes ports on the host")
        }
        let client = try #require(DeployFiles.mapping(services["video-app-client"]), "no video-app-client")
        #expect(client["networks"] as? [String] == ["video-app-internal"])
        let networks = try #require(DeployFiles.mapping(compose["networks"]))
        #expect(DeployFiles.mapping(networks["video-app-internal"])?["internal"] as? Bool == true)
        let node = try #require(DeployFiles.mapping(DeployFiles.mapping(DeployFiles.mapping(services["video-app"])?["networks"])?["video-app-internal"]))
        let address = try #require(node["ipv4_address"] as? String)
        #expect(try DeployFiles.read("compose/init.sh").contains("api=\(address):7421"), "init.sh does not bind video-app's API to \(address)")
        #expect((try DeployFiles.read("compose/docker-compose.yml")).contains("http://\(address):7421/"))
    }

    @Test("no file in Deploy/ calls a shipped part 'future'")
    func noFuture() throws {
        for file in try DeployFiles.list(extensions: ["yml", "yaml", "sh", "md", "service", ""]) + ["Dockerfile"] {
            #expect(!(try DeployFiles.read(file)).lowercased().contains("future"), "\(file)")
        }
    }
}
