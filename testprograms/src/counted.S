/* No libc: a program whose instruction count is known by construction, for checking the
 * recorder's count independently. Executed instructions, in order:
 *   mov ecx, 100                       1
 *   100 x (dec ecx; jnz)             200
 *   lea rsi; lea rdi; mov ecx, 64;
 *   rep movsb (64 iterations, 1 insn)  4
 *   call f; ret                        2
 *   mov eax, 60; xor edi, edi; syscall 3
 * total 210 instructions; the first is the ELF entry, the last the exit syscall. */
    .intel_syntax noprefix
    .text
    .globl _start
_start:
    mov ecx, 100
1:  dec ecx
    jnz 1b
    lea rsi, [rip + src]
    lea rdi, [rip + dst]
    mov ecx, 64
    rep movsb
    call f
    mov eax, 60
    xor edi, edi
    syscall
f:
    ret

    .data
src: .fill 64, 1, 0x5a
    .bss
dst: .skip 64
    .section .note.GNU-stack,"",@progbits
