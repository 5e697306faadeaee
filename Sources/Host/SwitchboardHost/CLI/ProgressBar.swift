import Foundation

/// A one-line progress bar on standard error, `[############------------------] 120/300 rows 40%`, redrawn in place.
public struct ProgressBar {
    public let total: Int
    let width = 30

    public init(total: Int) { self.total = total }

    /// The bar's text for `done` of `total`.
    func line(_ done: Int) -> String {
        let fraction = total == 0 ? 1 : Double(min(done, total)) / Double(total)
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        return "[\(bar)] \(done)/\(total) rows \(Int((fraction * 100).rounded(.down)))%"
    }

    /// Redraws the bar for `done` of `total`, ending the line once all are done.
    public func draw(_ done: Int) {
        FileHandle.standardError.write(Data(("\r" + line(done) + (done >= total ? "\n" : "")).utf8))
    }
}
