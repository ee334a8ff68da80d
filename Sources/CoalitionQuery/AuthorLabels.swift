import CoalitionCore
import CoalitionCrypto
import Synchronization

/// The member ID and display name of each author, computed once per author.
///
/// A matched lookup names every source and opinion author. Computing a member ID (base32 with
/// check characters) and resolving a display name per mention cost more than reading the rows,
/// so the answers are kept. Authors are few (the members of a federation), and the table is
/// cleared if it ever grows past `limit`. Display names come from the closure given at start-up;
/// a renamed member shows its new name after a restart, as before.
final class AuthorLabels: Sendable {
    struct Label: Sendable {
        let memberID: String
        let name: String
    }

    private let names: @Sendable (PublicKey) -> String
    private let table = Mutex<[PublicKey: Label]>([:])
    private let limit: Int

    init(names: @escaping @Sendable (PublicKey) -> String, limit: Int = 65_536) {
        self.names = names
        self.limit = limit
    }

    func label(of author: PublicKey) -> Label {
        if let known = table.withLock({ $0[author] }) { return known }
        let label = Label(memberID: MemberID(publicKey: author).description, name: names(author))
        table.withLock { t in
            if t.count >= limit { t.removeAll(keepingCapacity: true) }
            t[author] = label
        }
        return label
    }
}
