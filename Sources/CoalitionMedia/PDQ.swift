import CoalitionCore
import CoalitionMatch
import Foundation

/// A PDQ hash with its quality score (0–100; below about 50 the image has too little detail for
/// the hash to mean much).
public struct PDQResult: Sendable, Equatable {
    public var hash: PDQHash
    public var quality: Int
    public init(hash: PDQHash, quality: Int) {
        self.hash = hash
        self.quality = quality
    }
}

/// Meta's PDQ perceptual hash, as published in `hashing/pdq.md` of facebook/ThreatExchange and
/// computed by its reference implementation (which the PyPI `pdqhash` package wraps):
///
/// 1. luminance Y = 0.299 R + 0.587 G + 0.114 B, as 32-bit floats;
/// 2. two passes of Jarosz box filters along rows then columns, each window
///    ⌈dimension / 128⌉ wide (a tent-like low-pass filter);
/// 3. a 64×64 decimation, sampling the filtered image at the centres of a 64×64 grid;
/// 4. the 16×16 low-frequency block of the 64×64 DCT-II (without the DC row and column);
/// 5. one bit per coefficient: set when it is above the block's median (Torben's method);
/// 6. quality: the sum of the absolute gradients of the 64×64 image, scaled and capped at 100.
///
/// The arithmetic follows the reference step for step, in the same precision and order, so the
/// hashes are the reference's bit for bit on the same pixels. Images under 5 pixels on a side
/// hash to zero with quality 0, as in the reference.
public enum PDQ {
    /// The 8 dihedral transforms, in the reference's order.
    public enum Orientation: String, CaseIterable, Sendable {
        case original, rotate90, rotate180, rotate270, flipX, flipY, flipPlus1, flipMinus1
    }

    /// How luminance is computed from RGB: the two reference programs differ in the last bit.
    public enum Luma: Sendable {
        /// In doubles, rounded to float, as the `pdqhash` Python package does (images).
        case doublePrecision
        /// In floats, as the C++ reference (and so vPDQ, for video frames) does.
        case singlePrecision
    }

    /// The smallest side the reference hashes.
    public static let minimumDimension = 5

    /// The PDQ hash and quality of `image`.
    public static func hash(_ image: RGBImage, luma: Luma = .doublePrecision) -> PDQResult {
        guard let (dct, quality) = coefficients(image, luma: luma) else { return PDQResult(hash: PDQHash(words: (0, 0, 0, 0)), quality: 0) }
        return PDQResult(hash: bits(dct), quality: quality)
    }

    /// The hashes of the 8 rotations and flips of `image` (original first), computed from one
    /// DCT: each transform only changes the signs and the order of the coefficients.
    public static func dihedral(_ image: RGBImage) -> (quality: Int, hashes: [Orientation: PDQHash]) {
        guard let (dct, quality) = coefficients(image) else {
            return (0, Dictionary(uniqueKeysWithValues: Orientation.allCases.map { ($0, PDQHash(words: (0, 0, 0, 0))) }))
        }
        var out: [Orientation: PDQHash] = [:]
        for o in Orientation.allCases { out[o] = bits(transform(dct, o)) }
        return (quality, out)
    }

    /// The 16×16 coefficients (row-major) and the quality, or nil for an image too small to hash.
    static func coefficients(_ image: RGBImage, luma mode: Luma = .doublePrecision) -> (dct: [Float], quality: Int)? {
        let rows = image.height, cols = image.width
        guard rows >= minimumDimension, cols >= minimumDimension else { return nil }
        var buffer1 = luma(image, mode)
        var grid: [Float]
        if rows == 64, cols == 64 {
            grid = buffer1
        } else {
            var buffer2 = [Float](unsafeUninitializedCapacity: rows * cols) { _, count in count = rows * cols }
            grid = buffer1.withUnsafeMutableBufferPointer { b1 in
                buffer2.withUnsafeMutableBufferPointer { b2 in
                    jarosz(b1, b2, rows: rows, cols: cols, windowAlongRows: window(cols), windowAlongCols: window(rows))
                }
            }
        }
        return (dct64To16(grid), quality(grid))
    }

    /// Luminance, in the precision of `mode`.
    static func luma(_ image: RGBImage, _ mode: Luma) -> [Float] {
        let n = image.width * image.height
        return [Float](unsafeUninitializedCapacity: n) { y, count in
            image.pixels.withUnsafeBufferPointer { px in
                switch mode {
                case .doublePrecision:
                    // The products R × 0.299 etc. looked up rather than computed: the same doubles.
                    lumaTables.withUnsafeBufferPointer { t in
                        let tg = t.baseAddress! + 256, tb = t.baseAddress! + 512
                        for p in 0..<n {
                            y[p] = Float(t[Int(px[3 * p])] + tg[Int(px[3 * p + 1])] + tb[Int(px[3 * p + 2])])
                        }
                    }
                case .singlePrecision:
                    let cr: Float = 0.299, cg: Float = 0.587, cb: Float = 0.114
                    for p in 0..<n {
                        y[p] = cr * Float(px[3 * p]) + cg * Float(px[3 * p + 1]) + cb * Float(px[3 * p + 2])
                    }
                }
            }
            count = n
        }
    }

    /// R × 0.299, G × 0.587 and B × 0.114 in doubles, for every byte value (256 each, in order).
    static let lumaTables: [Double] = {
        var t: [Double] = []
        for coefficient in [0.299, 0.587, 0.114] {
            for v in 0..<256 { t.append(Double(v) * coefficient) }
        }
        return t
    }()

    /// The Jarosz filter's box width for shrinking `dimension` to 64.
    static func window(_ dimension: Int) -> Int { (dimension + 2 * 64 - 1) / (2 * 64) }

    /// Two passes of box filters along rows (`buffer1` → `buffer2`) then columns (→ `buffer1`),
    /// and the 64×64 decimation of the result. The last column pass is computed only at the 64
    /// sampled columns and kept only at the 64 sampled rows: the same sums, in the same order, as
    /// the full pass would give there, for a twenty-fifth of the work on a large image.
    static func jarosz(
        _ buffer1: UnsafeMutableBufferPointer<Float>, _ buffer2: UnsafeMutableBufferPointer<Float>,
        rows: Int, cols: Int, windowAlongRows: Int, windowAlongCols: Int
    ) -> [Float] {
        var sums = [Float](repeating: 0, count: cols)
        boxRows(UnsafePointer(buffer1.baseAddress!), buffer2.baseAddress!, rows: rows, cols: cols, window: windowAlongRows)
        sums.withUnsafeMutableBufferPointer { boxColumns(UnsafePointer(buffer2.baseAddress!), buffer1.baseAddress!, rows: rows, cols: cols, window: windowAlongCols, sums: $0) }
        // The last row pass is kept only at the columns the last column pass reads.
        let columns = samples(cols)
        var keep = [Bool](repeating: false, count: cols)
        for c in columns { keep[c] = true }
        keep.withUnsafeBufferPointer { keep in
            boxRows(UnsafePointer(buffer1.baseAddress!), buffer2.baseAddress!, rows: rows, cols: cols, window: windowAlongRows, only: keep)
        }
        return sampledColumns(UnsafePointer(buffer2.baseAddress!), rows: rows, cols: cols, window: windowAlongCols)
    }

    /// The rows and columns the 64×64 decimation samples: the centres of a 64×64 grid.
    static func samples(_ dimension: Int) -> [Int] {
        (0..<64).map { Int((Double($0) + 0.5) * Double(dimension) / 64) }
    }

    /// The reference's one-dimensional box filter: a running sum, divided by the number of
    /// samples in the window (which is shorter at both ends).
    @inline(__always)
    static func box1D(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, length: Int, window: Int) {
        let half = (window + 2) / 2
        let phase1 = half - 1, phase2 = window - half + 1, phase3 = length - window, phase4 = half - 1
        var li = 0, ri = 0, oi = 0
        var sum: Float = 0
        var size = 0
        for _ in 0..<phase1 { sum += input[ri]; size += 1; ri += 1 }
        for _ in 0..<phase2 { sum += input[ri]; size += 1; output[oi] = sum / Float(size); ri += 1; oi += 1 }
        if phase3 > 0 {
            for _ in 0..<phase3 { sum += input[ri]; sum -= input[li]; output[oi] = sum / Float(size); li += 1; ri += 1; oi += 1 }
        }
        for _ in 0..<phase4 { sum -= input[li]; size -= 1; output[oi] = sum / Float(size); li += 1; oi += 1 }
    }

    /// ``box1D(_:_:length:window:)`` along every row. Four rows run side by side, one per SIMD
    /// lane, each with the same operations in the same order as alone: a row's running sum is
    /// a chain of dependent additions, so one row at a time waits on each addition's latency.
    /// With `only`, outputs are stored only at the columns it marks (the rest are left as they were).
    static func boxRows(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int, cols: Int, window: Int,
                        only: UnsafeBufferPointer<Bool>? = nil) {
        var r = 0
        while r + 4 <= rows {
            if let only {
                box4Rows(input + r * cols, output + r * cols, cols: cols, window: window) { only[$0] }
            } else {
                box4Rows(input + r * cols, output + r * cols, cols: cols, window: window) { _ in true }
            }
            r += 4
        }
        while r < rows {
            box1D(input + r * cols, output + r * cols, length: cols, window: window)
            r += 1
        }
    }

    /// ``box1D(_:_:length:window:)`` on the 4 rows from `input`, one per lane (4 lanes: the
    /// width of the baseline x86-64 and ARM vector registers).
    @inline(__always)
    static func box4Rows(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, cols: Int, window: Int, keep: (Int) -> Bool) {
        let r1 = input + cols, r2 = input + 2 * cols, r3 = input + 3 * cols
        let o1 = output + cols, o2 = output + 2 * cols, o3 = output + 3 * cols
        @inline(__always) func load(_ i: Int) -> SIMD4<Float> { SIMD4(input[i], r1[i], r2[i], r3[i]) }
        @inline(__always) func store(_ v: SIMD4<Float>, _ i: Int) {
            guard keep(i) else { return }
            output[i] = v[0]; o1[i] = v[1]; o2[i] = v[2]; o3[i] = v[3]
        }
        let half = (window + 2) / 2
        let phase1 = half - 1, phase2 = window - half + 1, phase3 = cols - window, phase4 = half - 1
        var li = 0, ri = 0, oi = 0
        var sum = SIMD4<Float>(repeating: 0)
        var size = 0
        for _ in 0..<phase1 { sum += load(ri); size += 1; ri += 1 }
        for _ in 0..<phase2 { sum += load(ri); size += 1; store(sum / SIMD4(repeating: Float(size)), oi); ri += 1; oi += 1 }
        if phase3 > 0 {
            let n = SIMD4<Float>(repeating: Float(size))
            for _ in 0..<phase3 { sum += load(ri); sum -= load(li); store(sum / n, oi); li += 1; ri += 1; oi += 1 }
        }
        for _ in 0..<phase4 { sum -= load(li); size -= 1; store(sum / SIMD4(repeating: Float(size)), oi); li += 1; oi += 1 }
    }

    /// ``box1D(_:_:length:window:)`` down every column at once, sweeping the rows in order: the
    /// same sums in the same order per column, but reading memory sequentially.
    static func boxColumns(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, rows: Int, cols: Int, window: Int, sums: UnsafeMutableBufferPointer<Float>) {
        let half = (window + 2) / 2
        let phase1 = half - 1, phase2 = window - half + 1, phase3 = rows - window, phase4 = half - 1
        var li = 0, ri = 0, oi = 0
        var size = 0
        let s = sums.baseAddress!
        for c in 0..<cols { s[c] = 0 }
        for _ in 0..<phase1 {
            let row = input + ri * cols
            for c in 0..<cols { s[c] += row[c] }
            size += 1; ri += 1
        }
        for _ in 0..<phase2 {
            let row = input + ri * cols, out = output + oi * cols
            size += 1
            let n = Float(size)
            for c in 0..<cols { s[c] += row[c]; out[c] = s[c] / n }
            ri += 1; oi += 1
        }
        if phase3 > 0 {
            let n = Float(size)
            for _ in 0..<phase3 {
                let add = input + ri * cols, sub = input + li * cols, out = output + oi * cols
                for c in 0..<cols { s[c] += add[c]; s[c] -= sub[c]; out[c] = s[c] / n }
                li += 1; ri += 1; oi += 1
            }
        }
        for _ in 0..<phase4 {
            let sub = input + li * cols, out = output + oi * cols
            size -= 1
            let n = Float(size)
            for c in 0..<cols { s[c] -= sub[c]; out[c] = s[c] / n }
            li += 1; oi += 1
        }
    }

    /// The last column pass at the 64 sampled columns, kept at the 64 sampled rows: the 64×64
    /// decimated image, row-major.
    static func sampledColumns(_ input: UnsafePointer<Float>, rows: Int, cols: Int, window: Int) -> [Float] {
        let columns = samples(cols), sampledRows = samples(rows)
        var grid = [Float](repeating: 0, count: 64 * 64)
        var s = [Float](repeating: 0, count: 64)
        let half = (window + 2) / 2
        let phase1 = half - 1, phase2 = window - half + 1, phase3 = rows - window, phase4 = half - 1
        var li = 0, ri = 0, oi = 0, size = 0, next = 0
        /// Keeps output row `oi` wherever the decimation samples it (several times for a short image).
        func keep(_ n: Float) {
            while next < 64, sampledRows[next] == oi {
                for j in 0..<64 { grid[next * 64 + j] = s[j] / n }
                next += 1
            }
        }
        for _ in 0..<phase1 {
            for j in 0..<64 { s[j] += input[ri * cols + columns[j]] }
            size += 1; ri += 1
        }
        for _ in 0..<phase2 {
            for j in 0..<64 { s[j] += input[ri * cols + columns[j]] }
            size += 1
            keep(Float(size))
            ri += 1; oi += 1
        }
        if phase3 > 0 {
            let n = Float(size)
            for _ in 0..<phase3 {
                for j in 0..<64 { s[j] += input[ri * cols + columns[j]]; s[j] -= input[li * cols + columns[j]] }
                keep(n)
                li += 1; ri += 1; oi += 1
            }
        }
        for _ in 0..<phase4 {
            for j in 0..<64 { s[j] -= input[li * cols + columns[j]] }
            size -= 1
            keep(Float(size))
            li += 1; oi += 1
        }
        return grid
    }

    /// The quality metric: Σ|∇| over the 64×64 image, in percent of full scale, over 90.
    static func quality(_ g: [Float]) -> Int {
        var sum = 0
        for i in 0..<63 {
            for j in 0..<64 {
                let d = Int((g[i * 64 + j] - g[(i + 1) * 64 + j]) * 100 / 255)
                sum += abs(d)
            }
        }
        for i in 0..<64 {
            for j in 0..<63 {
                let d = Int((g[i * 64 + j] - g[i * 64 + j + 1]) * 100 / 255)
                sum += abs(d)
            }
        }
        return min(100, sum / 90)
    }

    /// Rows 1–16 of the 64-point DCT-II matrix, as the reference builds it.
    static let dctMatrix: [Float] = {
        let scale = Float((2.0 / 64.0).squareRoot())
        var m = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                m[i * 64 + j] = Float(Double(scale) * cos(Double.pi / 2.0 / 64.0 * Double(i + 1) * Double(2 * j + 1)))
            }
        }
        return m
    }()

    /// B = D · A · Dᵀ, summing in the reference's order.
    static func dct64To16(_ a: [Float]) -> [Float] {
        let d = dctMatrix
        var t = [Float](repeating: 0, count: 16 * 64)
        for i in 0..<16 {
            for j in 0..<64 {
                var sum: Float = 0
                for k in 0..<64 { sum += d[i * 64 + k] * a[k * 64 + j] }
                t[i * 64 + j] = sum
            }
        }
        var b = [Float](repeating: 0, count: 256)
        for i in 0..<16 {
            for j in 0..<16 {
                var sum: Float = 0
                for k in 0..<64 { sum += t[i * 64 + k] * d[j * 64 + k] }
                b[i * 16 + j] = sum
            }
        }
        return b
    }

    /// The coefficients of the transformed image, from the original's.
    static func transform(_ a: [Float], _ o: Orientation) -> [Float] {
        var b = [Float](repeating: 0, count: 256)
        for i in 0..<16 {
            for j in 0..<16 {
                let v = a[i * 16 + j]
                switch o {
                case .original: b[i * 16 + j] = v
                case .rotate90: b[j * 16 + i] = j & 1 == 1 ? v : -v
                case .rotate180: b[i * 16 + j] = (i + j) & 1 == 1 ? -v : v
                case .rotate270: b[j * 16 + i] = i & 1 == 1 ? v : -v
                case .flipX: b[i * 16 + j] = i & 1 == 1 ? v : -v
                case .flipY: b[i * 16 + j] = j & 1 == 1 ? v : -v
                case .flipPlus1: b[j * 16 + i] = v
                case .flipMinus1: b[j * 16 + i] = (i + j) & 1 == 1 ? -v : v
                }
            }
        }
        return b
    }

    /// One bit per coefficient above the median; bit i·16+j of the 256-bit hash (the hex form
    /// prints the most significant bit first, as the reference does).
    static func bits(_ dct: [Float]) -> PDQHash {
        let median = torben(dct)
        var w: [UInt64] = [0, 0, 0, 0]
        for k in 0..<256 where dct[k] > median {
            w[3 - k / 64] |= 1 << UInt64(k % 64)
        }
        return PDQHash(words: (w[0], w[1], w[2], w[3]))
    }

    /// Torben's median (no sorting, no copy), exactly as the reference picks it.
    static func torben(_ m: [Float]) -> Float {
        let n = m.count
        var lo = m[0], hi = m[0]
        for v in m.dropFirst() { lo = min(lo, v); hi = max(hi, v) }
        var less = 0, greater = 0, equal = 0
        var guess: Float = 0, maxBelow: Float = 0, minAbove: Float = 0
        while true {
            guess = (lo + hi) / 2
            less = 0; greater = 0; equal = 0
            maxBelow = lo; minAbove = hi
            for v in m {
                if v < guess {
                    less += 1
                    if v > maxBelow { maxBelow = v }
                } else if v > guess {
                    greater += 1
                    if v < minAbove { minAbove = v }
                } else {
                    equal += 1
                }
            }
            if less <= (n + 1) / 2, greater <= (n + 1) / 2 { break }
            if less > greater { hi = maxBelow } else { lo = minAbove }
        }
        if less >= (n + 1) / 2 { return maxBelow }
        if less + equal >= (n + 1) / 2 { return guess }
        return minAbove
    }
}
