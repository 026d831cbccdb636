import Glibc
import MUTCore

/// Why a client got no usable answer from the daemon.
public enum ControlClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Could not connect (no socket file, nobody listening, no permission).
    case unreachable(SystemError)
    /// Connected, but the exchange failed or timed out.
    case exchange(SystemError)
    case noResponse
    case responseTooLarge(Int)

    public var description: String {
        switch self {
        case .unreachable(let e): return e.message
        case .exchange(let e) where e.isWouldBlock: return "no answer in time"
        case .exchange(let e): return e.description
        case .noResponse: return "it closed the connection without answering"
        case .responseTooLarge(let limit): return "its answer is larger than \(limit) bytes"
        }
    }
}

/// The mutctl side: one blocking request/response exchange with a deadline.
public enum ControlClient {
    public static let defaultResponseLimit = 64 << 20

    /// Sends `request` and returns the response line (without its newline).
    public static func exchange(
        _ request: ControlRequest, socketPath: String, timeoutSeconds: Double = 10,
        responseLimit: Int = defaultResponseLimit
    ) throws(ControlClientError) -> [UInt8] {
        let fd: Int32
        do { fd = try Syscall.unixStreamSocket(nonBlocking: false) } catch { throw .unreachable(error) }
        defer { Syscall.close(fd) }
        do {
            // SO_SNDTIMEO also bounds a connect that waits on a full backlog.
            try Syscall.setTimeouts(fd, seconds: timeoutSeconds)
            try Syscall.connect(fd, path: socketPath)
        } catch {
            throw .unreachable(error)
        }
        do throws(SystemError) {
            let bytes = request.wireBytes
            var sent = 0
            while sent < bytes.count {
                let n = try Syscall.send(fd, bytes, from: sent)
                guard let n else { throw SystemError("send", errno: EAGAIN) }
                sent += n
            }
        } catch {
            throw .exchange(error)
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count: Int?
            do {
                count = try Syscall.read(fd, into: &buffer)
            } catch {
                // The server closes without reading what it rejected, which can turn our EOF into
                // ECONNRESET; a complete line already read is still the answer.
                if let end = response.firstIndex(of: UInt8(ascii: "\n")) { return Array(response[..<end]) }
                throw .exchange(error)
            }
            guard let count else { throw .exchange(SystemError("read", errno: EAGAIN)) }
            if count == 0 { break }
            let before = response.count
            response.append(contentsOf: buffer[0..<count])
            // The response is one line: stop at its newline.
            if let end = response[before...].firstIndex(of: UInt8(ascii: "\n")) { return Array(response[..<end]) }
            if response.count > responseLimit { throw .responseTooLarge(responseLimit) }
        }
        guard !response.isEmpty else { throw .noResponse }
        return response
    }
}
