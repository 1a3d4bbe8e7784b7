-- hsr:find_message(fh) reading a file opened with io.open (spec §4.6), in
-- the canonical loop, with the byte offset as checkpoint. The file, written
-- here into output_path, holds three frames with garbage between them.
require "string"
require "io"

local function varint(n)
    local s = ""
    repeat
        local b = n % 128
        n = (n - b) / 128
        if n > 0 then b = b + 128 end
        s = s .. string.char(b)
    until n == 0
    return s
end

local function msg(typ, n)
    return "\10\16" .. string.rep(string.char(n), 16) .. "\16" .. varint(n * 1000)
        .. "\26" .. string.char(#typ) .. typ
end

local function frame(m)
    local h = "\8" .. varint(#m)
    return "\30" .. string.char(#h) .. h .. "\31" .. m
end

function process_message(cp)
    local path = read_config("output_path") .. "/frames.log"
    local out = assert(io.open(path, "wb"))
    local data = frame(msg("one", 1)) .. "garbage\30\5junk" .. frame(msg("two", 2))
        .. string.rep("\0", 300) .. frame(msg("three", 3)) .. "torn\30"
    out:write(data)
    out:close()
    print("file bytes", #data)

    local fh = assert(io.open(path, "rb"))
    local hsr = create_stream_reader("file")
    local offset = cp or 0
    local found, consumed, read
    repeat
        repeat
            found, consumed, read = hsr:find_message(fh)
            offset = offset + consumed
            if found then inject_message(hsr, offset) end
        until not found
    until read == 0
    fh:close()
    print("offset at the end", offset)
    return 0
end
