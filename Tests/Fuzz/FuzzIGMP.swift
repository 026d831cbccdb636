// libFuzzer target: IGMP/IPv4/Ethernet parsers and the membership table (see fuzzIGMP).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzIGMP(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}
