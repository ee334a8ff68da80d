import CoalitionCore
import CoalitionCrypto
import Foundation
import GRDB

/// A signal as the store holds it: the signal, its source and its retraction.
public struct SignalRow: Sendable, Hashable {
    public let id: EntryID
    public let author: PublicKey
    public let seq: UInt64
    public let publishedAt: Int64
    public let signal: Signal
    public let restricted: Bool
    public let retractedBy: EntryID?
    public let retractReason: String?

    /// Whether it is in force at `now` (ms since epoch): ``SignalStatus``'s rule.
    public func status(now: Int64) -> SignalStatus {
        SignalStatus(retracted: retractedBy != nil, expiresAt: signal.expiresAt, now: now)
    }

    /// Whether it is neither retracted nor expired at `now` (ms since epoch).
    public func isActive(now: Int64) -> Bool { status(now: now).isActive }

    /// ``SignalStatus``'s rule as an SQL condition on the `entry` and `signal` tables' columns;
    /// binds one argument, now (ms since epoch).
    static let activeCondition = "retractedBy IS NULL AND (expiresAt IS NULL OR expiresAt > ?)"

    static let columns = "id, author, seq, publishedAt, kind, value, category, severity, tlp, labels, expiresAt, note, quality, restricted, retractedBy, retractReason"

    init(row: Row) {
        id = try! EntryID(bytes: row["id"] as Data)
        author = try! PublicKey(bytes: row["author"] as Data)
        seq = UInt64(row["seq"] as Int64)
        publishedAt = row["publishedAt"]
        let labelText: String = row["labels"]
        signal = Signal(
            validated: try! SignalKind(name: row["kind"]), value: row["value"], category: row["category"],
            severity: Severity(rawValue: UInt8(row["severity"] as Int)) ?? .medium,
            tlp: TLP(rawValue: UInt8(row["tlp"] as Int)) ?? .green,
            labels: labelText.isEmpty ? [] : labelText.split(separator: "\n").map(String.init),
            expiresAt: row["expiresAt"], note: row["note"], quality: (row["quality"] as Int?).map { UInt8($0) })
        restricted = row["restricted"]
        retractedBy = (row["retractedBy"] as Data?).map { try! EntryID(bytes: $0) }
        retractReason = row["retractReason"]
    }
}

extension SignalRow {
    /// Decodes a row of `SELECT \(columns)` by column index (no name lookups, no boxing).
    init(raw row: RawStatement.Row) {
        id = row.entryID(0)
        author = row.publicKey(1)
        seq = UInt64(row.int64(2))
        publishedAt = row.int64(3)
        let labelText = row.text(9)
        signal = Signal(
            validated: try! SignalKind(name: row.text(4)), value: row.text(5), category: row.text(6),
            severity: Severity(rawValue: UInt8(truncatingIfNeeded: row.int64(7))) ?? .medium,
            tlp: TLP(rawValue: UInt8(truncatingIfNeeded: row.int64(8))) ?? .green,
            labels: labelText.isEmpty ? [] : labelText.split(separator: "\n").map(String.init),
            expiresAt: row.optionalInt64(10), note: row.optionalText(11), quality: row.optionalInt64(12).map { UInt8(truncatingIfNeeded: $0) })
        restricted = row.int64(13) != 0
        retractedBy = row.isNull(14) ? nil : row.entryID(14)
        retractReason = row.optionalText(15)
    }
}

/// One member's winning opinion on a signal.
public struct OpinionRow: Sendable, Hashable {
    public let author: PublicKey
    public let target: EntryID
    public let entry: EntryID
    public let seq: UInt64
    public let stance: Opinion.Stance
    public let note: String?
    public let timestamp: Int64
}

/// The head of one author's chain, as this node knows it.
public struct AuthorHead: Sendable, Hashable {
    public let author: PublicKey
    public let seq: UInt64
    public let id: EntryID
    public let entryCount: Int
    public let equivocating: Bool
}

/// One change of the merged state, as the store's ``CommitFeed`` publishes it after each commit
/// and as the `entry` table keeps it. The cursor is the local arrival number of the entry that
/// caused the change: it only ever increases and survives restarts. One entry can cause two
/// changes (a forked publish is both `added` and `equivocation`); they share its cursor.
///
/// A change carries what its subscribers need (the signal's kind and value, whether it is in
/// force, whether it is restricted), so none reads the signal back.
public struct ChangeRecord: Sendable, Hashable {
    /// What changed.
    public enum Kind: String, Sendable, CaseIterable {
        /// A signal became known (including a restricted one this node can read).
        case added
        /// A signal was retracted by its author.
        case retracted
        /// A member's winning opinion on a signal changed.
        case opinion
        /// An author was caught signing two entries with one sequence number.
        case equivocation
        /// An author rotated its key.
        case rotation

        /// The bit recording this change in an entry's `effect` column.
        var bit: Int {
            switch self {
            case .added: 1
            case .retracted: 2
            case .opinion: 4
            case .equivocation: 8
            case .rotation: 16
            }
        }
    }
    public let cursor: Int64
    public let kind: Kind
    /// The signal added, retracted or opined on.
    public let signal: EntryID?
    /// The entry that caused the change.
    public let entry: EntryID
    /// When this node received it (ms).
    public let at: Int64
    /// For `added`, the new signal's kind; for `retracted`, the retracted signal's.
    public let signalKind: SignalKind?
    /// The canonical value that goes with ``signalKind``.
    public let value: String?
    /// For `added`: whether the signal was in force on arrival (its retraction may have come first).
    public let live: Bool
    /// For `added`: whether the signal came sealed (restricted) and this node could read it.
    public let restricted: Bool

    public init(cursor: Int64, kind: Kind, signal: EntryID?, entry: EntryID, at: Int64,
                signalKind: SignalKind? = nil, value: String? = nil, live: Bool = true, restricted: Bool = false) {
        self.cursor = cursor
        self.kind = kind
        self.signal = signal
        self.entry = entry
        self.at = at
        self.signalKind = signalKind
        self.value = value
        self.live = live
        self.restricted = restricted
    }
}

/// Counts for `status` and metrics.
public struct StoreStatistics: Sendable, Equatable {
    public var entries = 0
    public var pending = 0
    public var authors = 0
    public var signals = 0
    public var activeSignals = 0
    public var unreadable = 0
    public var signalsByKind: [String: Int] = [:]
    /// Signals per top-level category.
    public var signalsByCategory: [String: Int] = [:]
}

