(* CdslValue: the value semantics of CDSL's primitive operations and of the
   runtime's abstract functions, over HOL words, for shallow embeddings;
   and the encoders from shallow values to the deep values of CdslTypes.

   The rules are the interpreters' (compiler/src/interp, runtime/): words
   wrap; x div 0 = x mod 0 = 0; a shift by the width or more gives 0;
   && and || evaluate both sides (the same thing in a pure semantics). *)

theory CdslValue
  imports CdslTypes
begin

section \<open>Primitive operations\<close>

text \<open>
  \<open>+\<close>, \<open>-\<close>, \<open>*\<close>, comparisons and the bitwise operations
  \<open>AND\<close>, \<open>OR\<close>, \<open>XOR\<close>, \<open>NOT\<close> are HOL's on \<open>'a word\<close>,
  which already wrap and compare unsigned. Division, remainder and shifts
  differ from HOL's at the edges and are defined here.
\<close>

definition cdsl_div :: "'a::len word => 'a word => 'a word" where
  "cdsl_div a b = (if b = 0 then 0 else a div b)"

definition cdsl_mod :: "'a::len word => 'a word => 'a word" where
  "cdsl_mod a b = (if b = 0 then 0 else a mod b)"

definition cdsl_shl :: "'a::len word => 'a word => 'a word" where
  "cdsl_shl a b = (if LENGTH('a) <= unat b then 0 else push_bit (unat b) a)"

definition cdsl_shr :: "'a::len word => 'a word => 'a word" where
  "cdsl_shr a b = (if LENGTH('a) <= unat b then 0 else drop_bit (unat b) a)"

lemma cdsl_div_zero [simp]: "cdsl_div a 0 = 0"
  by (simp add: cdsl_div_def)

lemma cdsl_mod_zero [simp]: "cdsl_mod a 0 = 0"
  by (simp add: cdsl_mod_def)

section \<open>The runtime's abstract types and functions\<close>

text \<open>
  The world is threaded linearly and carries nothing a program can see.
  A word array is a list. These are the value-semantics models of
  runtime/src/library.rs; generated theories state, per instance, that the
  abstract constant behaves as its model (a locale assumption).
\<close>

type_synonym cdsl_SysState = unit

type_synonym 'a cdsl_WordArray = "'a list"

definition cdsl_wa_length :: "'a list => 32 word" where
  "cdsl_wa_length xs = of_nat (length xs)"

text \<open>Out-of-range reads give the element type's zero.\<close>

definition cdsl_wa_get :: "'a => 'a list => 32 word => 'a" where
  "cdsl_wa_get z xs i = (if unat i < length xs then xs ! unat i else z)"

text \<open>\<open>Some\<close> the updated array, \<open>None\<close> when the index is out of range.\<close>

definition cdsl_wa_put :: "'a list => 32 word => 'a => 'a list option" where
  "cdsl_wa_put xs i v = (if unat i < length xs then Some (xs[unat i := v]) else None)"

text \<open>Arrays above \<open>2 ^ 24\<close> elements fail to allocate (MAX_ARRAY_LEN).\<close>

definition cdsl_wa_create :: "'a => 32 word => 'a list option" where
  "cdsl_wa_create z n = (if 2 ^ 24 < unat n then None else Some (replicate (unat n) z))"

text \<open>
  \<open>seq32\<close>/\<open>seq64\<close>: the body runs for idx = lo, lo + st, ... while
  idx < hi; a step of 0 is taken as 1.
\<close>

definition cdsl_seq :: "'w::len word => 'w word => 'w word => ('a => 'w word => 'a) => 'a => 'a" where
  "cdsl_seq lo hi st f acc =
     (let s = max (unat st) 1;
          n = (if unat hi <= unat lo then 0 else (unat hi - unat lo + s - 1) div s)
      in fold (%k a. f a (of_nat (unat lo + k * s))) [0..<n] acc)"

lemma cdsl_seq_empty: "unat hi <= unat lo ==> cdsl_seq lo hi st f acc = acc"
  by (simp add: cdsl_seq_def Let_def)

lemma cdsl_wa_length_put:
  "cdsl_wa_put xs i v = Some ys ==> cdsl_wa_length ys = cdsl_wa_length xs"
  by (auto simp add: cdsl_wa_put_def cdsl_wa_length_def split: if_splits)

section \<open>From shallow values to deep values\<close>

text \<open>
  Generated theories encode each shallow type into @{typ vval} with these
  and with inline encoders for tuples, records and variants; the
  correspondence obligations are stated through them.
\<close>

definition enc_word :: "'a::len word => vval" where
  "enc_word w = VWord LENGTH('a) (unat w)"

definition enc_bool :: "bool => vval" where
  "enc_bool b = VBool b"

definition enc_string :: "string => vval" where
  "enc_string s = VString s"

definition enc_unit :: "unit => vval" where
  "enc_unit u = VUnit"

definition enc_sys :: "cdsl_SysState => vval" where
  "enc_sys u = VSys"

definition enc_array :: "('a => vval) => 'a list => vval" where
  "enc_array e xs = VArray (map e xs)"

definition enc_opaque :: "'a => vval" where
  "enc_opaque x = VOpaque"

end
