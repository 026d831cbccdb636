// libFuzzer target: the packet parsers and the membership table. fuzzIGMP feeds the input to
// the Ethernet/IPv4/IGMP parsers and drives the table with it; the data plane's IPv4 parser
// (what NFQUEUE hands mutd) gets the input too, whole and past an Ethernet header.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    for packet in [bytes, UnsafeRawBufferPointer(rebasing: bytes[min(Ethernet.headerLength, size)...])] {
        if let summary = IPv4Summary.parse(packet) {
            precondition(summary.totalLength >= 20 && summary.totalLength <= packet.count, "IPv4 length outside the packet")
        }
    }
    fuzzIGMP(bytes)
    return 0
}
