/// The size limits of protocol version 1. They are part of validity: every node applies the same ones.
public enum Limits {
    /// The largest encoded entry, signature included.
    public static let maxEntryBytes = 65_536
    /// A signal kind name.
    public static let maxKindBytes = 32
    /// A signal value of any kind (URLs are the longest known kind).
    public static let maxValueBytes = 2_048
    /// A trend value.
    public static let maxTrendBytes = 256
    /// A category (`category` or `category/keyword`).
    public static let maxCategoryBytes = 100
    /// Free labels on one signal.
    public static let maxLabels = 32
    /// One label.
    public static let maxLabelBytes = 64
    /// A note on a signal or an opinion, and the reason of a retraction.
    public static let maxNoteBytes = 1_024
    /// Recipients of one restricted entry.
    public static let maxRecipients = 256
}
