# qr.awk: draw a QR code of a short text (an activation code) in a terminal.
#
# Why our own encoder: edge boxes (CentOS 7, RHEL 8/9, Ubuntu 20.04+, Debian 11+,
# openEuler) ship no qrencode, and their awk may be mawk, gawk or busybox awk.
# So this is POSIX awk only: no bitwise builtins (XOR is done arithmetically),
# no gawk extensions, and a pure-ASCII source (UTF-8 is written as octal escapes).
#
#   awk -v text=CODE [-v style=utf8|ascii] [-v quiet=2] -f qr.awk </dev/null
#
# Polarity is light-on-dark for dark-background terminals: a dark module is a
# space, a light module (and the quiet zone) is a block ("##" in ascii style).
# Exit 0; exit 2 with a message on stderr when the text is empty, holds a
# character outside printable ASCII, or does not fit version 10 at level M.
#
# ISO/IEC 18004:2015, error correction level M, versions 1-10:
#   7.4.4 alphanumeric mode (used when the whole text fits its 45 characters),
#   7.4.5 byte mode otherwise; 7.4.1 Table 3 character count bits;
#   7.4.9 terminator, bit stream to codewords, pad codewords 0xEC 0x11
#   7.5 Reed-Solomon over GF(2^8), polynomial 0x11d; Table 9 block structure
#   7.6 interleaving of data and error correction codewords
#   6.3.3-6.3.6 finder, separator, timing and alignment patterns; Annex E positions
#   7.7.3 codeword placement (two-module columns, zig-zag)
#   7.8 data masking: all 8 masks scored by 7.8.3 (Table 11, N1-N4), lowest wins
#   7.9 format information, BCH (15,5) generator 0x537, XOR 0x5412 (Annex C)
#   7.10 version information for versions 7+, BCH (18,6) generator 0x1f25 (Annex D)

BEGIN {
    if (quiet == "") quiet = 2
    if (style == "") style = "utf8"
    if (style != "utf8" && style != "ascii") fail("qr.awk: style must be utf8 or ascii, not '" style "'")
    if (text == "") fail("qr.awk: nothing to encode (text is empty)")

    init_tables()
    encode_data()
    add_error_correction()
    build_matrix()
    choose_mask()
    render()
    exit 0
}

# Through cat, not "/dev/stderr": POSIX awk does not promise that name, and
# opening it fails when stderr is a socket (gawk --posix).
function fail(msg) {
    print msg | "cat 1>&2"
    close("cat 1>&2")
    exit 2
}

# XOR of two non-negative integers, bit by bit (POSIX awk has no bitwise operators).
function bxor(a, b,    r, p) {
    r = 0
    p = 1
    while (a > 0 || b > 0) {
        if (a % 2 != b % 2) r += p
        a = int(a / 2)
        b = int(b / 2)
        p *= 2
    }
    return r
}

function init_tables(    i, v, g, x, row) {
    # Table 9, level M: "total codewords, EC codewords per block, blocks in group 1,
    # data codewords per group-1 block, blocks in group 2" (group 2 blocks hold one
    # more data codeword).
    row[1] = "26 10 1 16 0"
    row[2] = "44 16 1 28 0"
    row[3] = "70 26 1 44 0"
    row[4] = "100 18 2 32 0"
    row[5] = "134 24 2 43 0"
    row[6] = "172 16 4 27 0"
    row[7] = "196 18 4 31 0"
    row[8] = "242 22 2 38 2"
    row[9] = "292 22 3 36 2"
    row[10] = "346 26 4 43 1"
    # Annex E: alignment pattern centre coordinates.
    ALIGN[1] = ""
    ALIGN[2] = "6 18"
    ALIGN[3] = "6 22"
    ALIGN[4] = "6 26"
    ALIGN[5] = "6 30"
    ALIGN[6] = "6 34"
    ALIGN[7] = "6 22 38"
    ALIGN[8] = "6 24 42"
    ALIGN[9] = "6 26 46"
    ALIGN[10] = "6 28 50"
    MAXV = 10
    for (v = 1; v <= MAXV; v++) {
        split(row[v], x, " ")
        TOTAL[v] = x[1]; ECW[v] = x[2]; B1[v] = x[3]; D1[v] = x[4]; B2[v] = x[5]
        DATACW[v] = B1[v] * D1[v] + B2[v] * (D1[v] + 1)
    }

    # GF(256) exponent and logarithm tables, generator 2, polynomial 0x11d.
    g = 1
    for (i = 0; i < 255; i++) {
        EXP[i] = g
        LOG[g] = i
        g *= 2
        if (g >= 256) g = bxor(g, 285)
    }
    # Powers of two: busybox awk may be built without the ^ operator's maths.
    POW2[0] = 1
    for (i = 1; i <= 24; i++) POW2[i] = POW2[i - 1] * 2

    ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    for (i = 32; i < 127; i++) ORD[sprintf("%c", i)] = i
}

function gf_mul(a, b) {
    if (a == 0 || b == 0) return 0
    return EXP[(LOG[a] + LOG[b]) % 255]
}

# Appends the low n bits of val to the bit stream BITS (a string of 0 and 1).
function put_bits(val, n,    s, i) {
    s = ""
    for (i = 0; i < n; i++) {
        s = (val % 2) s
        val = int(val / 2)
    }
    BITS = BITS s
}

function encode_data(    n, i, ch, alnum, need, cc, v, cap, a, b, pad) {
    n = length(text)
    alnum = 1
    for (i = 1; i <= n; i++) {
        ch = substr(text, i, 1)
        if (!index(ALNUM, ch)) alnum = 0
        if (!(ch in ORD)) fail("qr.awk: character " i " of the text is not printable ASCII")
    }
    # Smallest version whose level-M data capacity holds the segment; the character
    # count field grows at version 10 (Table 3).
    VER = 0
    for (v = 1; v <= MAXV && !VER; v++) {
        if (alnum) cc = (v < 10) ? 9 : 11
        else cc = (v < 10) ? 8 : 16
        need = 4 + cc + (alnum ? 11 * int(n / 2) + 6 * (n % 2) : 8 * n)
        if (need <= DATACW[v] * 8) { VER = v; CCBITS = cc }
    }
    if (!VER) fail("qr.awk: text of " n " characters is too long for a QR code version " MAXV "-M")

    BITS = ""
    if (alnum) {
        put_bits(2, 4)
        put_bits(n, CCBITS)
        for (i = 1; i + 1 <= n; i += 2) {
            a = index(ALNUM, substr(text, i, 1)) - 1
            b = index(ALNUM, substr(text, i + 1, 1)) - 1
            put_bits(a * 45 + b, 11)
        }
        if (n % 2) put_bits(index(ALNUM, substr(text, n, 1)) - 1, 6)
    } else {
        put_bits(4, 4)
        put_bits(n, CCBITS)
        for (i = 1; i <= n; i++) put_bits(ORD[substr(text, i, 1)], 8)
    }
    cap = DATACW[VER] * 8
    # Terminator (up to four zeros), zero fill to a codeword boundary, then pad codewords.
    for (i = 0; i < 4 && length(BITS) < cap; i++) BITS = BITS "0"
    while (length(BITS) % 8) BITS = BITS "0"
    for (pad = 236; length(BITS) < cap; pad = (pad == 236) ? 17 : 236) put_bits(pad, 8)

    for (i = 0; i < DATACW[VER]; i++) DATA[i] = bits_value(substr(BITS, i * 8 + 1, 8))
}

function bits_value(s,    i, r) {
    r = 0
    for (i = 1; i <= length(s); i++) r = r * 2 + substr(s, i, 1)
    return r
}

# Splits DATA into blocks, computes each block's Reed-Solomon remainder and
# interleaves them into FINAL[0..TOTAL-1] (7.5, 7.6).
function add_error_correction(    ec, nb, b, i, j, k, len, off, maxlen, gen, rem, factor, root, NCW) {
    ec = ECW[VER]
    nb = B1[VER] + B2[VER]
    # Generator polynomial (x - a^0)(x - a^1)...(x - a^(ec-1)), leading 1 dropped,
    # gen[0] is the coefficient of x^(ec-1).
    for (j = 0; j < ec; j++) gen[j] = 0
    gen[ec - 1] = 1
    root = 1
    for (i = 0; i < ec; i++) {
        for (j = 0; j < ec; j++) {
            gen[j] = gf_mul(gen[j], root)
            if (j + 1 < ec) gen[j] = bxor(gen[j], gen[j + 1])
        }
        root = gf_mul(root, 2)
    }

    off = 0
    for (b = 0; b < nb; b++) {
        len = D1[VER] + (b >= B1[VER] ? 1 : 0)
        BLEN[b] = len
        for (j = 0; j < ec; j++) rem[j] = 0
        for (i = 0; i < len; i++) {
            BDATA[b, i] = DATA[off + i]
            factor = bxor(DATA[off + i], rem[0])
            for (j = 0; j < ec - 1; j++) rem[j] = rem[j + 1]
            rem[ec - 1] = 0
            for (j = 0; j < ec; j++) rem[j] = bxor(rem[j], gf_mul(gen[j], factor))
        }
        for (j = 0; j < ec; j++) BEC[b, j] = rem[j]
        off += len
    }

    k = 0
    maxlen = D1[VER] + (B2[VER] ? 1 : 0)
    for (i = 0; i < maxlen; i++)
        for (b = 0; b < nb; b++)
            if (i < BLEN[b]) FINAL[k++] = BDATA[b, i]
    for (j = 0; j < ec; j++)
        for (b = 0; b < nb; b++)
            FINAL[k++] = BEC[b, j]
    NFINAL = k
    if (NFINAL != TOTAL[VER]) fail("qr.awk: internal error, " NFINAL " codewords for version " VER)
}

# Function module: M holds its colour (1 = dark), FN marks it as not data.
function set_fn(r, c, dark) {
    M[r, c] = dark
    FN[r, c] = 1
}

function abs(x) { return x < 0 ? -x : x }

function finder(cr, cc,    dr, dc, r, c, d) {
    for (dr = -4; dr <= 4; dr++)
        for (dc = -4; dc <= 4; dc++) {
            r = cr + dr; c = cc + dc
            if (r < 0 || c < 0 || r >= SIZE || c >= SIZE) continue
            d = abs(dr) > abs(dc) ? abs(dr) : abs(dc)
            set_fn(r, c, (d != 2 && d != 4) ? 1 : 0)
        }
}

function build_matrix(    r, c, i, n, pos, a, b, dr, dc, d, rem, vbits, right, vert, j, upward, bit, byte, total) {
    SIZE = 4 * VER + 17
    for (r = 0; r < SIZE; r++)
        for (c = 0; c < SIZE; c++) { M[r, c] = 0; FN[r, c] = 0 }

    for (i = 0; i < SIZE; i++) {
        set_fn(6, i, i % 2 == 0)
        set_fn(i, 6, i % 2 == 0)
    }
    finder(3, 3)
    finder(3, SIZE - 4)
    finder(SIZE - 4, 3)

    n = split(ALIGN[VER], pos, " ")
    for (a = 1; a <= n; a++)
        for (b = 1; b <= n; b++) {
            if ((a == 1 && b == 1) || (a == 1 && b == n) || (a == n && b == 1)) continue
            for (dr = -2; dr <= 2; dr++)
                for (dc = -2; dc <= 2; dc++) {
                    d = abs(dr) > abs(dc) ? abs(dr) : abs(dc)
                    set_fn(pos[a] + dr, pos[b] + dc, d != 1)
                }
        }

    # Reserve the format areas (written for real once the mask is chosen).
    draw_format(0)

    if (VER >= 7) {
        rem = VER
        for (i = 0; i < 12; i++) rem = bxor(rem * 2, int(rem / 2048) * 7973)
        vbits = VER * 4096 + rem
        for (i = 0; i < 18; i++) {
            bit = int(vbits / POW2[i]) % 2
            a = SIZE - 11 + i % 3
            b = int(i / 3)
            set_fn(b, a, bit)
            set_fn(a, b, bit)
        }
    }

    # 7.7.3: two-module columns from the right, alternately upward and downward,
    # skipping the vertical timing column; remainder bits stay light (0).
    i = 0
    total = NFINAL * 8
    for (right = SIZE - 1; right >= 1; right -= 2) {
        if (right == 6) right = 5
        upward = (int((right + 1) / 2) % 2 == 0)
        for (vert = 0; vert < SIZE; vert++)
            for (j = 0; j < 2; j++) {
                c = right - j
                r = upward ? SIZE - 1 - vert : vert
                if (!FN[r, c] && i < total) {
                    byte = FINAL[int(i / 8)]
                    M[r, c] = int(byte / POW2[7 - i % 8]) % 2
                    i++
                }
            }
    }
}

# Format information: EC level M (00) and the mask number, BCH (15,5), XOR 0x5412.
function draw_format(mask,    data, rem, bits, i, bit) {
    data = mask
    rem = data
    for (i = 0; i < 10; i++) rem = bxor(rem * 2, int(rem / 512) * 1335)
    bits = bxor(data * 1024 + rem, 21522)
    for (i = 0; i < 15; i++) FMT[i] = int(bits / POW2[i]) % 2
    for (i = 0; i <= 5; i++) set_fn(i, 8, FMT[i])
    set_fn(7, 8, FMT[6])
    set_fn(8, 8, FMT[7])
    set_fn(8, 7, FMT[8])
    for (i = 9; i < 15; i++) set_fn(8, 14 - i, FMT[i])
    for (i = 0; i < 8; i++) set_fn(8, SIZE - 1 - i, FMT[i])
    for (i = 8; i < 15; i++) set_fn(SIZE - 15 + i, 8, FMT[i])
    set_fn(SIZE - 8, 8, 1)
}

function mask_bit(m, r, c) {
    if (m == 0) return (r + c) % 2 == 0
    if (m == 1) return r % 2 == 0
    if (m == 2) return c % 3 == 0
    if (m == 3) return (r + c) % 3 == 0
    if (m == 4) return (int(r / 2) + int(c / 3)) % 2 == 0
    if (m == 5) return (r * c) % 2 + (r * c) % 3 == 0
    if (m == 6) return ((r * c) % 2 + (r * c) % 3) % 2 == 0
    return ((r + c) % 2 + (r * c) % 3) % 2 == 0
}

# Fills Q with M under mask m (data modules only) and the matching format bits.
function apply_mask(m,    r, c) {
    draw_format(m)
    for (r = 0; r < SIZE; r++)
        for (c = 0; c < SIZE; c++)
            Q[r, c] = (!FN[r, c] && mask_bit(m, r, c)) ? 1 - M[r, c] : M[r, c]
}

# 7.8.3 Table 11. Runs and finder-like patterns are scored on row and column
# strings; outside the symbol counts as light (it is the quiet zone).
function penalty(    r, c, s, score, dark, line, k, t) {
    score = 0
    dark = 0
    for (r = 0; r < SIZE; r++) {
        line = ""
        for (c = 0; c < SIZE; c++) {
            line = line Q[r, c]
            dark += Q[r, c]
            if (r + 1 < SIZE && c + 1 < SIZE) {
                t = Q[r, c] + Q[r, c + 1] + Q[r + 1, c] + Q[r + 1, c + 1]
                if (t == 0 || t == 4) score += 3
            }
        }
        score += line_penalty(line)
    }
    for (c = 0; c < SIZE; c++) {
        line = ""
        for (r = 0; r < SIZE; r++) line = line Q[r, c]
        score += line_penalty(line)
    }
    # N4: 10 points for each full 5% the dark proportion deviates from 50%.
    k = int(abs(dark * 20 - SIZE * SIZE * 10) / (SIZE * SIZE))
    return score + 10 * k
}

function line_penalty(line,    score, i, n, run, p, padded, rest) {
    score = 0
    n = length(line)
    run = 1
    for (i = 2; i <= n + 1; i++) {
        if (i <= n && substr(line, i, 1) == substr(line, i - 1, 1)) run++
        else {
            if (run >= 5) score += run - 2
            run = 1
        }
    }
    # 1:1:3:1:1 dark-light-dark-light-dark with four light modules on either side.
    padded = "0000" line "0000"
    rest = padded
    p = 0
    while ((i = index(rest, "1011101")) > 0) {
        p += i
        if (substr(padded, p - 4, 4) == "0000" || substr(padded, p + 7, 4) == "0000") score += 40
        rest = substr(padded, p + 1)
    }
    return score
}

function choose_mask(    m, best, bestm, s) {
    best = -1
    for (m = 0; m < 8; m++) {
        apply_mask(m)
        s = penalty()
        if (best < 0 || s < best) { best = s; bestm = m }
    }
    apply_mask(bestm)
    MASK = bestm
}

# Colour of a module in the quiet-zoned picture: 1 = dark.
function at(r, c) {
    r -= quiet; c -= quiet
    if (r < 0 || c < 0 || r >= SIZE || c >= SIZE) return 0
    return Q[r, c]
}

function render(    n, r, c, line, top, bot, FULL, UPPER, LOWER) {
    n = SIZE + 2 * quiet
    if (style == "ascii") {
        for (r = 0; r < n; r++) {
            line = ""
            for (c = 0; c < n; c++) line = line (at(r, c) ? "  " : "##")
            print line
        }
        return
    }
    # U+2588 full block, U+2580 upper half, U+2584 lower half, as UTF-8 bytes. A
    # last unpaired row draws only its upper half.
    FULL = "\342\226\210"
    UPPER = "\342\226\200"
    LOWER = "\342\226\204"
    for (r = 0; r < n; r += 2) {
        line = ""
        for (c = 0; c < n; c++) {
            top = !at(r, c)
            bot = (r + 1 < n) ? !at(r + 1, c) : 0
            line = line (top ? (bot ? FULL : UPPER) : (bot ? LOWER : " "))
        }
        print line
    }
}
