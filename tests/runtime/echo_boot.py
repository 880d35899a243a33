#!/usr/bin/env python3
"""Writes a one-sector x86 boot program for the console tests:

  echo_boot.py IMAGE

IMAGE becomes a 1 MiB disk whose boot sector prints "hpvm-echo ready" on
COM1 (0x3f8) and then echoes back every byte it receives there. A guest
booted from it gives hpvmconsole something real to relay in both
directions without an operating system.
"""
import struct
import sys


def program():
    code = bytearray()
    labels, fixups = {}, []

    def emit(*data):
        code.extend(data)

    def label(name):
        labels[name] = len(code)

    def rel8(name):  # a short jump's displacement, resolved below
        fixups.append((len(code), name, 1))
        code.append(0)

    def rel16(name):
        fixups.append((len(code), name, 2))
        code.extend(b"\0\0")

    emit(0x31, 0xC0)            # xor ax, ax
    emit(0x8E, 0xD8)            # mov ds, ax
    emit(0xFC)                  # cld
    emit(0xBE); fixups.append((len(code), "msg", 0)); code.extend(b"\0\0")  # mov si, msg
    label("print")
    emit(0xAC)                  # lodsb
    emit(0x84, 0xC0)            # test al, al
    emit(0x74); rel8("echo")    # jz echo
    emit(0xE8); rel16("putc")   # call putc
    emit(0xEB); rel8("print")   # jmp print
    label("echo")
    emit(0xBA, 0xFD, 0x03)      # mov dx, 0x3fd (line status)
    label("wait")
    emit(0xEC)                  # in al, dx
    emit(0xA8, 0x01)            # test al, 1 (data ready)
    emit(0x74); rel8("wait")    # jz wait
    emit(0xBA, 0xF8, 0x03)      # mov dx, 0x3f8
    emit(0xEC)                  # in al, dx
    emit(0xE8); rel16("putc")   # call putc
    emit(0xEB); rel8("echo")    # jmp echo
    label("putc")
    emit(0x50)                  # push ax
    emit(0xBA, 0xFD, 0x03)      # mov dx, 0x3fd
    label("empty")
    emit(0xEC)                  # in al, dx
    emit(0xA8, 0x20)            # test al, 0x20 (transmitter empty)
    emit(0x74); rel8("empty")   # jz empty
    emit(0x58)                  # pop ax
    emit(0xBA, 0xF8, 0x03)      # mov dx, 0x3f8
    emit(0xEE)                  # out dx, al
    emit(0xC3)                  # ret
    label("msg")
    code.extend(b"hpvm-echo ready\r\n\0")
    for at, name, size in fixups:
        if size == 0:  # absolute address, loaded at 0x7c00
            struct.pack_into("<H", code, at, 0x7C00 + labels[name])
        elif size == 1:
            struct.pack_into("<b", code, at, labels[name] - (at + 1))
        else:
            struct.pack_into("<h", code, at, labels[name] - (at + 2))
    assert len(code) <= 510
    return bytes(code) + bytes(510 - len(code)) + b"\x55\xaa"


with open(sys.argv[1], "wb") as image:
    image.write(program())
    image.truncate(1 << 20)
