import CoalitionCore
import CoalitionMedia
import CoalitionQuery
import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Synchronization

/// `POST /v1/hash` and `POST /v1/lookup/media`: an uploaded image or video (the raw body, or the
/// `file` part of a `multipart/form-data` body) hashed in memory, and for the second, looked up.
///
/// The upload is held in memory only for the request: it is never written to disk and never
/// logged (errors name its size and format, never its bytes). Decoding and hashing run on a
/// thread pool of their own at `nice` +10, so a burst of uploads never takes the cores from the
/// event loops and the lookup threads. At most ``APIConfiguration/maxConcurrentUploads`` uploads
/// are read or hashed at once, which bounds the memory they hold; more are answered 503 with
/// `Retry-After` before their bodies are read.
struct MediaController: Sendable {
    let env: APIEnvironment
    let configuration: APIConfiguration
    let gate: UploadGate

    init(env: APIEnvironment, configuration: APIConfiguration) {
        self.env = env
        self.configuration = configuration
        self.gate = UploadGate(limit: configuration.maxConcurrentUploads)
    }

    var routes: RouteCollection<APIRequestContext> {
        let routes = RouteCollection(context: APIRequestContext.self)
        let env = self.env, query = env.query, reader = RequestReader(configuration: configuration), controller = self
        routes.post("hash") { request, context -> MediaHashes.Summary in
            try context.require(.lookup)
            let start = ContinuousClock.now
            defer { env.metrics.record("hash", since: start) }
            let hasher = try controller.hasher(request, reader: reader, everyFrame: false)
            return try await controller.withUpload(request) { bytes in try hasher.hash(bytes) }.summary
        }
        routes.post("lookup/media") { request, context -> MediaLookupResponse in
            try context.require(.lookup)
            let start = ContinuousClock.now
            defer { env.metrics.record("lookup_media", since: start) }
            let q = request.uri.queryParameters
            let options = try query.options(distance: q.get("distance").map { try reader.int($0, "distance") },
                                            minQuality: q.get("minQuality").map { try reader.int($0, "minQuality") },
                                            includeInactive: try reader.bool(q.get("includeInactive"), "includeInactive"))
            // A video upload is the target of the vPDQ rule: hashed at every frame unless told otherwise.
            let hasher = try controller.hasher(request, reader: reader, everyFrame: true)
            let register = try ContentRegistration(request, context: context, reader: reader, env: env)
            let hashes = try await controller.withUpload(request) { bytes in try hasher.hash(bytes) }
            let results = try await env.run { try query.lookup(media: hashes, options) }
            // The bank holds PDQ, MD5 and SHA-256 (a video's vPDQ frames are not banked).
            let registered = try await register?.register(hashes.hashes.filter { $0.kind != "vpdq" }.map { ($0.kind, $0.value) })
            return MediaLookupResponse(media: hashes.summary, results: results, registered: registered)
        }
        return routes
    }

    /// The hasher for this request: the configured limits, and `secondsPerFrame` from the query
    /// (default 1, or every frame for a lookup).
    func hasher(_ request: Request, reader: RequestReader, everyFrame: Bool) throws -> MediaHasher {
        var seconds = everyFrame ? 0.0 : 1.0
        if let text = request.uri.queryParameters.get("secondsPerFrame") {
            guard let value = Double(text), value.isFinite, (0...3600).contains(value) else {
                throw Problem(.badRequest, "'secondsPerFrame' must be a number from 0 (every frame) to 3600, got '\(text.prefix(40))'", field: "secondsPerFrame")
            }
            seconds = value
        }
        return MediaHasher(limits: configuration.mediaLimits, secondsPerFrame: seconds)
    }

    /// Reads the upload (within the upload limit and the concurrency gate) and runs `work` on its
    /// bytes on the media pool.
    func withUpload<T: Sendable>(_ request: Request, _ work: @escaping @Sendable (UnsafeRawBufferPointer) throws -> T) async throws -> T {
        guard gate.enter() else {
            var problem = Problem(.serviceUnavailable, "\(configuration.maxConcurrentUploads) uploads are being hashed already; retry shortly")
            problem.retryAfter = 1
            throw problem
        }
        defer { gate.leave() }
        let limit = configuration.maxUploadBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw Problem(.contentTooLarge, "the upload is \(declared) bytes; the limit is \(limit) (api.maxUploadMib)", field: "body")
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem(.contentTooLarge, "the upload is over the limit of \(limit) bytes (api.maxUploadMib)", field: "body")
        }
        guard body.readableBytes > 0 else { throw Problem(.badRequest, "the request has no body: send the image or video as the body, or as the multipart field 'file'", field: "body") }
        let boundary = try request.headers[.contentType].flatMap { try MultipartFile.boundary(contentType: $0) }
        return try await NIOThreadPool.mediaHashing.runIfActive {
            BackgroundWorkers.lowerCurrentThreadPriority(to: BackgroundWorkers.backgroundNiceness)
            return try body.withUnsafeReadableBytes { raw throws -> T in
                var bytes = raw
                if let boundary {
                    bytes = UnsafeRawBufferPointer(rebasing: raw[try MultipartFile.file(in: raw, boundary: boundary)])
                }
                do { return try work(bytes) } catch let error as CoalitionError { throw Problem(error) }
            }
        }
    }
}

/// A count of uploads in progress, refused beyond a limit.
final class UploadGate: Sendable {
    private let count = Atomic<Int>(0)
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a place; false if all are taken.
    func enter() -> Bool {
        if count.add(1, ordering: .acquiring).newValue <= limit { return true }
        count.subtract(1, ordering: .relaxed)
        return false
    }

    func leave() { count.subtract(1, ordering: .releasing) }
}

/// `POST /v1/lookup/media`: what the upload hashed to, and one lookup result per hash.
struct MediaLookupResponse: ResponseCodable, Sendable {
    var media: MediaHashes.Summary
    var results: [LookupResult]
    /// With `register=true`: how many of the upload's hashes were new in the content bank.
    var registered: Int?
}

extension MediaHashes.Summary: ResponseCodable {}

extension NIOThreadPool {
    /// The threads that decode and hash uploads: one per core, each at `nice` +10 (set by every
    /// job on its own thread), so hashing takes only what the event loops and lookups leave.
    static let mediaHashing: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: ProcessInfo.processInfo.activeProcessorCount)
        pool.start()
        return pool
    }()
}
