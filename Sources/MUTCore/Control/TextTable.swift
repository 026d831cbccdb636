/// Columns padded to their widest cell, two spaces apart, as `ip mroute` and /proc tables read.
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }

    public var columns: [Alignment]
    public var rows: [[String]]

    public init(columns: [Alignment], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }

    public var widths: [Int] {
        var widths = columns.map { _ in 0 }
        for row in rows {
            for (i, cell) in row.prefix(columns.count).enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        return widths
    }

    /// One string per row, trailing spaces removed; `indent` is put before every line.
    public func lines(indent: String = "") -> [String] {
        let widths = self.widths
        return rows.map { row in
            var line = indent
            for (i, alignment) in columns.enumerated() {
                let cell = i < row.count ? row[i] : ""
                let padding = String(repeating: " ", count: widths[i] - cell.count)
                if i > 0 { line += "  " }
                line += alignment == .left ? cell + padding : padding + cell
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    public var lines: [String] { lines() }
}
