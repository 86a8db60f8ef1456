(* CdslBase: the value semantics of CDSL's primitive operations, for the
   shallow embedding `cdsl build --emit coq` generates. Copied verbatim
   next to every generated module; do not edit the copies.

   A word of n bits is an N below 2^n; every operation takes the width
   first and wraps as the interpreters do: x / 0 = x mod 0 = 0, a shift by
   n or more gives 0, `&&` and `||` are andb and orb (both sides are
   evaluated, which in a pure semantics is the same thing). *)

Require Import Coq.NArith.NArith.
Require Import Coq.Bool.Bool.
Require Export Coq.Strings.String.

Local Open Scope N_scope.

Definition cdsl_wrap (n x : N) : N := N.modulo x (N.pow 2 n).

Definition cdsl_add (n a b : N) : N := cdsl_wrap n (a + b).
Definition cdsl_sub (n a b : N) : N := cdsl_wrap n (cdsl_wrap n a + N.pow 2 n - cdsl_wrap n b).
Definition cdsl_mul (n a b : N) : N := cdsl_wrap n (a * b).
Definition cdsl_div (n a b : N) : N := if N.eqb b 0 then 0 else N.div a b.
Definition cdsl_mod (n a b : N) : N := if N.eqb b 0 then 0 else N.modulo a b.

Definition cdsl_and (n a b : N) : N := N.land a b.
Definition cdsl_or (n a b : N) : N := N.lor a b.
Definition cdsl_xor (n a b : N) : N := N.lxor a b.
Definition cdsl_complement (n a : N) : N := N.pow 2 n - 1 - cdsl_wrap n a.
Definition cdsl_shl (n a b : N) : N := if N.leb n b then 0 else cdsl_wrap n (N.shiftl a b).
Definition cdsl_shr (n a b : N) : N := if N.leb n b then 0 else N.shiftr a b.

Definition cdsl_eq (a b : N) : bool := N.eqb a b.
Definition cdsl_ne (a b : N) : bool := negb (N.eqb a b).
Definition cdsl_lt (a b : N) : bool := N.ltb a b.
Definition cdsl_le (a b : N) : bool := N.leb a b.
Definition cdsl_gt (a b : N) : bool := N.ltb b a.
Definition cdsl_ge (a b : N) : bool := N.leb b a.

(* The world, threaded linearly: it carries nothing a program can see. *)
Definition cdsl_SysState : Type := unit.

(* Sanity checks of the wrapping rules, by computation. *)
Example cdsl_sub_wraps : cdsl_sub 8 0 1 = 255 := eq_refl.
Example cdsl_div_zero : cdsl_div 32 7 0 = 0 := eq_refl.
Example cdsl_mod_zero : cdsl_mod 32 7 0 = 0 := eq_refl.
Example cdsl_shl_wide : cdsl_shl 32 1 32 = 0 := eq_refl.
Example cdsl_shl_wraps : cdsl_shl 8 255 1 = 254 := eq_refl.
Example cdsl_complement_8 : cdsl_complement 8 1 = 254 := eq_refl.
